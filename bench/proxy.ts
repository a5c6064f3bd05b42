/**
 * bench/proxy: the caching reverse proxy (spillway/proxy) and hits served
 * before Express (cache.handler), beside raw node:http, a plain undici proxy
 * with no cache, Express with spillway's middleware and with apicache, and
 * nginx's proxy_cache (issue 12), in one run, printed as ratios.
 *
 *   npm run bench -- proxy                  (BENCH_QUICK=1 for the quick run)
 *   node dist/bench/proxy.js [--quick] [-c 50] [--duration=10] [--warmup=2] [--only=id,id] [--save]
 *
 * Every cell is one configuration at one body size (2 KiB, 64 KiB), in a
 * server process of its own on 127.0.0.1 (bench/lib/proxy-server.ts, or
 * nginx); the proxies forward to one origin process (node:http sending a
 * precomputed Buffer with Cache-Control: public, max-age=300, so every cache
 * stores it). autocannon in this process drives the cell: `-c` keep-alive
 * connections, one request in flight on each, a warm-up then the measured
 * run. Hits ask for one URL; misses give every request a URL of its own, so
 * each goes to the origin. The spillway proxy's miss that the target is
 * measured on is a stored miss (admission 'always': look-up, forwarding,
 * the response teed and written to the store), the whole of what a miss of
 * a cacheable response costs; the default admission's first sighting
 * (looked up, forwarded, not stored) is shown beside it.
 *
 * Before measuring, a hit cell is primed until a request does not reach its
 * origin, and a miss cell sends one request that must; each checks the body
 * byte for byte. The server measures its own CPU (process.cpuUsage(), every
 * thread; nginx: /proc/<pid>/stat of its processes) between the `start` and
 * `stop` that bracket the measured run, and counts the requests it received;
 * the origin counts its calls. CPU per request is the server's alone, the
 * origin's left out.
 *
 * nginx's rows appear when an `nginx` binary is on the PATH; otherwise they
 * are left out and the reason is printed. The machine's load (os.loadavg)
 * is printed and saved with the figures.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { report, type Row } from './lib/harness.js'
import type { Counters } from './lib/http-common.js'
import { ServerProcess, versionOf, type LoadResult } from './lib/http-child.js'
import { DIR_ENV, ORIGIN_ENV, SIZES, bodyOf, type BodySize } from './lib/proxy-common.js'
import { CELLS, type Cell } from './lib/proxy-cells.js'
import { load, uniqueUrl } from './lib/proxy-load.js'
import { NginxProcess, findNginx, nginxVersion } from './lib/proxy-nginx.js'
import { numberArg } from './lib/args.js'
import { cpuPerRequest, reqPerSec, serverValues } from './lib/cell-figures.js'

const args = process.argv.slice(2)
const QUICK = args.includes('--quick') || process.env.BENCH_QUICK === '1'
const CONNECTIONS = Math.round(numberArg('connections', '-c', 50))
const DURATION_S = numberArg('duration', '-d', QUICK ? 1 : 10)
const WARMUP_S = numberArg('warmup', undefined, QUICK ? 1 : 2)
const ONLY = new Set((args.find((a) => a.startsWith('--only='))?.slice(7) ?? '').split(',').filter((s) => s !== ''))
const SERVER_SCRIPT = fileURLToPath(new URL('./lib/proxy-server.js', import.meta.url))
/** Requests a hit cell may take to start answering from its cache (spillway stores on the second miss, in the background). */
const PRIME_LIMIT = 50

const unknownOnly = [...ONLY].filter((id) => !CELLS.some((c) => c.id === id))
if (unknownOnly.length > 0) {
  console.error(`--only: unknown cell ${unknownOnly.join(', ')}; choose from ${CELLS.map((c) => c.id).join(', ')}`)
  process.exit(2)
}

/** What a cell's server offers the bench: a ServerProcess, or nginx. */
interface Server {
  url: string
  start(): Promise<void>
  stop(): Promise<Counters>
  close(): Promise<void>
}

interface Measured { cell: Cell; size: BodySize; load: LoadResult; server: Counters; originCalls: number }

const NGINX = findNginx()
const nginxSkipped = NGINX === undefined ? 'no nginx binary on the PATH' : undefined
const loadavg = (): string => os.loadavg().map((l) => l.toFixed(2)).join(', ')
const loadAtStart = loadavg()

async function get(url: string, size: BodySize): Promise<void> {
  const res = await fetch(url)
  const body = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200) throw new Error(`GET ${url}: status ${res.status}`)
  if (!body.equals(bodyOf(size.bytes))) throw new Error(`GET ${url}: a different body (${body.length} bytes)`)
}

/** Requests until one is answered without the origin: the cache holds the URL. */
async function primeHit(url: string, size: BodySize, origin: Server, cached: boolean): Promise<void> {
  for (let i = 0; i < PRIME_LIMIT; i++) {
    await origin.start()
    await get(url, size)
    const { originCalls } = await origin.stop()
    if (!cached || (i > 0 && originCalls === 0)) return
    // The store writes in the background: give it a moment, as a client would come back later.
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`no hit after ${PRIME_LIMIT} requests`)
}

/** One request to a URL never asked before: it must reach the origin, and come back whole. */
async function checkMiss(url: string, size: BodySize, origin: Server): Promise<void> {
  await origin.start()
  await get(uniqueUrl(url), size)
  const { originCalls } = await origin.stop()
  if (originCalls !== 1) throw new Error(`a new URL made ${originCalls} origin calls, not 1`)
}

async function startServer(cell: Cell, origin: Server, dir: string): Promise<Server> {
  if (cell.server === 'nginx') return NginxProcess.start(NGINX!, origin.url)
  return ServerProcess.start(cell.server, { [DIR_ENV]: dir, ...(cell.proxy ? { [ORIGIN_ENV]: origin.url } : {}) }, SERVER_SCRIPT)
}

async function measure(cell: Cell, size: BodySize, origin: Server): Promise<Measured> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-proxy-'))
  let server: Server | undefined
  try {
    server = await startServer(cell, origin, dir)
    // The origin process counts the proxies' origin calls; the other servers count their own.
    const upstream = cell.proxy ? origin : server
    const url = server.url + size.route
    if (cell.workload === 'hit') await primeHit(url, size, upstream, cell.cached)
    else await checkMiss(url, size, upstream)
    const unique = cell.workload === 'miss'
    await load(url, CONNECTIONS, WARMUP_S, unique)
    await server.start()
    if (upstream !== server) await upstream.start()
    const result = await load(url, CONNECTIONS, DURATION_S, unique)
    const counters = await server.stop()
    const originCalls = upstream === server ? counters.originCalls : (await upstream.stop()).originCalls
    // nginx without stub_status counts nothing itself: autocannon's count stands in.
    if (server instanceof NginxProcess && !server.countsRequests) counters.requests = result.requests.total
    return { cell, size, load: result, server: counters, originCalls }
  } finally {
    await server?.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const rowName = (cell: Cell, size: BodySize): string => `${size.label} ${cell.name}`

console.log(
  `proxy bench: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per cell, bodies of ` +
    `${SIZES.map((s) => s.label).join(' and ')}; load average ${loadAtStart} (${os.cpus().length} cores)${QUICK ? ' (quick)' : ''}`,
)
if (nginxSkipped !== undefined) console.log(`nginx rows left out: ${nginxSkipped}`)

const measured = new Map<string, Measured>()
const failures: string[] = []
const origin = await ServerProcess.start('origin', {}, SERVER_SCRIPT)
try {
  for (const size of SIZES) {
    for (const cell of CELLS) {
      if (ONLY.size > 0 && !ONLY.has(cell.id)) continue
      if (cell.server === 'nginx' && nginxSkipped !== undefined) continue
      try {
        const m = await measure(cell, size, origin)
        measured.set(`${cell.id}/${size.label}`, m)
        console.log(
          `  ${rowName(cell, size)}: ${reqPerSec(m).toFixed(0)} req/s, p99 ${m.load.latency.p99} ms, ` +
            `${cpuPerRequest(m).toFixed(1)} µs CPU/req, origin calls ${m.originCalls}`,
        )
      } catch (err) {
        failures.push(`${rowName(cell, size)}: ${err instanceof Error ? err.message : String(err)}`)
        console.log(`  FAILED: ${failures.at(-1)}`)
      }
    }
  }
} finally {
  await origin.close()
}
const loadAtEnd = loadavg()

// --- Report -----------------------------------------------------------

function note(m: Measured): string {
  const parts: string[] = []
  if (m.cell.proxy || m.cell.cached) parts.push(`origin calls ${m.originCalls}`)
  if (m.cell.cached && m.originCalls > 0) parts.push('⚠ not every request was a hit')
  // Requests in flight when the counters are read fall on either side: up to one per connection.
  if (m.cell.workload === 'miss' && m.originCalls + CONNECTIONS < m.server.requests) parts.push('⚠ fewer origin calls than requests')
  const { errors, timeouts, non2xx } = m.load
  if (errors + timeouts + non2xx > 0) parts.push(`⚠ errors ${errors}, timeouts ${timeouts}, non-2xx ${non2xx}`)
  return parts.join('; ')
}

const cellOf = (id: string, size: BodySize): Measured | undefined => measured.get(`${id}/${size.label}`)
const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a / b)

/** The targets the issue states, at each size: the ratio measured, the bound, and which way it must go. */
interface Target { label: string; ratio: number | undefined; bound: number; atMost?: boolean }
const targets: Target[] = SIZES.flatMap((size) => {
  const rps = (id: string) => { const m = cellOf(id, size); return m && reqPerSec(m) }
  const cpu = (id: string) => { const m = cellOf(id, size); return m && cpuPerRequest(m) }
  return [
    { label: `${size.label}: proxy heap-tier hit ÷ node:http ceiling, req/s`, ratio: ratio(rps('proxy-hit'), rps('ceiling')), bound: 0.7 },
    { label: `${size.label}: hit before Express ÷ Express + apicache hit, req/s`, ratio: ratio(rps('handler-hit'), rps('express-apicache-hit')), bound: 3 },
    { label: `${size.label}: proxy stored miss ÷ plain undici proxy, CPU/req`, ratio: ratio(cpu('proxy-miss'), cpu('undici-miss')), bound: 1.15, atMost: true },
    { label: `${size.label}: proxy disk-tier hit ÷ heap-tier hit, req/s`, ratio: ratio(rps('proxy-disk-hit'), rps('proxy-hit')), bound: 0.9 },
  ]
})
function targetLine(t: Target): string {
  const want = `${t.atMost === true ? '≤' : '≥'} ${t.bound.toFixed(2)}×`
  if (t.ratio === undefined) return `${t.label}: not measured (target ${want})`
  const met = t.atMost === true ? t.ratio <= t.bound : t.ratio >= t.bound
  return `${t.label}: ${t.ratio.toFixed(2)}× (target ${want}) ${met ? 'met' : 'MISSED'}`
}
/** Ratios the issue sets no bound on, printed beside the targets. */
const context: string[] = SIZES.flatMap((size) => {
  const rps = (id: string) => { const m = cellOf(id, size); return m && reqPerSec(m) }
  const cpu = (id: string) => { const m = cellOf(id, size); return m && cpuPerRequest(m) }
  const lines: Array<[string, number | undefined]> = [
    ['nginx hit ÷ proxy heap-tier hit, req/s', ratio(rps('nginx-hit'), rps('proxy-hit'))],
    ['proxy first-sighting miss ÷ plain undici proxy, CPU/req', ratio(cpu('proxy-miss-first'), cpu('undici-miss'))],
    ['nginx stored miss ÷ plain undici proxy, CPU/req', ratio(cpu('nginx-miss'), cpu('undici-miss'))],
    ['Express + spillway hit ÷ Express + apicache hit, req/s', ratio(rps('express-spillway-hit'), rps('express-apicache-hit'))],
  ]
  return lines.filter(([, r]) => r !== undefined).map(([label, r]) => `${size.label}: ${label}: ${r!.toFixed(2)}×`)
})

const rows: Row[] = [...measured.values()].map((m) => {
  const ceiling = rowName(CELLS[0], m.size)
  const name = rowName(m.cell, m.size)
  return {
    name,
    opsPerSec: reqPerSec(m),
    mbPerSec: (reqPerSec(m) * m.size.bytes) / 1e6,
    vs: name === ceiling || cellOf('ceiling', m.size) === undefined ? undefined : ceiling,
    note: note(m),
    values: serverValues(m),
  }
})

const facts: Record<string, string> = {
  'load average': `${loadAtStart} at the start, ${loadAtEnd} at the end (1, 5, 15 min; ${os.cpus().length} cores)`,
  versions: `undici ${versionOf('undici')}, express ${versionOf('express')}, apicache ${versionOf('apicache')}, ` +
    `autocannon ${versionOf('autocannon')}, nginx ${NGINX === undefined ? 'not on the PATH' : nginxVersion(NGINX)}; NODE_ENV=production in the servers`,
  load: `autocannon in the bench process, ${CONNECTIONS} keep-alive connections, no pipelining, ` +
    `${WARMUP_S} s warm-up then ${DURATION_S} s measured per cell, on 127.0.0.1; hits ask for one URL, misses for a new URL each ` +
    '(`?n=<run>-<count>`), so every miss reaches the origin',
  origin: 'a process of its own: node:http sending a precomputed Buffer (text/plain, Cache-Control: public, max-age=300, an ETag); ' +
    'alone, the same server is the ceiling',
  'plain undici proxy': 'bench/lib/proxy-plain.ts: a keep-alive undici Pool (128 connections) and pool.request, the call the spillway proxy makes; ' +
    'hop-by-hop fields dropped both ways, X-Forwarded-For appended, the body piped with backpressure',
  'spillway proxy': 'createCachingProxy with its defaults (Via, X-Forwarded-*, 128 origin connections) and a 64 MiB heap tier; ' +
    'the disk-tier row has maxHeapBytes 0, so every hit is read from the journals; the stored miss has admission \'always\' ' +
    '(every miss teed and written to the store, within the store\'s default 1 GiB disk budget), the first-sighting miss the default ' +
    '\'second-hit\' (forwarded, not stored)',
  express: 'Express 5 routes sending the same Buffer; cache.handler(app) and httpCache() with a 64 MiB heap tier; apicache.middleware(\'5 minutes\')',
  nginx: NGINX === undefined ? `left out: ${nginxSkipped}` : 'one worker, proxy_cache on a temporary directory (levels=1:2, max_size=1g, use_temp_path=off; every miss stored), ' +
    'sendfile on, tcp_nopush off (with it each 64 KiB hit waited ~40 ms on loopback for a delayed ACK), an upstream keep-alive pool of 64, access log off; CPU from /proc/<pid>/stat of the master and its children, ' +
    'requests from stub_status (autocannon\'s count when the binary has none)',
  'req/s': 'median of autocannon\'s per-second samples (requests.p50); MB/s is body bytes only',
  'server CPU': 'the server\'s own CPU (user + system, all threads; the origin\'s left out) over the measured run, divided by the requests ' +
    'it received in that time; CPU % is that time over the wall time (100 % = one core)',
  cores: `${os.cpus().length}, shared by autocannon, the server and (for the proxies) the origin`,
}
for (const t of targets) facts[`target: ${t.label}`] = targetLine(t).slice(t.label.length + 2)
for (const line of context) facts[line.slice(0, line.lastIndexOf(':'))] = line.slice(line.lastIndexOf(':') + 2)
if (failures.length > 0) facts.failed = failures.join('; ')

const command = ['node dist/bench/proxy.js', ...args.filter((a) => a !== '--save'), '--save'].join(' ')
/** A quick or non-default run saves under its own name, so that it never replaces the full results. */
const custom = CONNECTIONS !== 50 || ONLY.size > 0 || (!QUICK && (DURATION_S !== 10 || WARMUP_S !== 2))
const name = ['proxy', ...(QUICK ? ['quick'] : []), ...(custom ? ['custom'] : [])].join('-')
report(name, 'Caching reverse proxy and hits before Express: spillway against raw node:http, a plain undici proxy, apicache and nginx', rows, facts, {
  nameHeader: 'cell (body size, configuration)',
  rateHeader: 'req/s',
  columns: [
    { key: 'p99', header: 'p99 ms' },
    { key: 'cpu', header: 'CPU µs/req', digits: 1 },
    { key: 'cpuPct', header: 'CPU %' },
    { key: 'rss', header: 'RSS MiB' },
  ],
  footer: `Produced by \`${command}\` (or \`npm run bench -- --save proxy\`). One run per cell, each server in its own process; ` +
    'the machine is shared, so compare ratios, not absolute figures, and read the load average.',
})

console.log('\ntargets (from issue 12):')
for (const t of targets) console.log(`  ${targetLine(t)}`)
if (context.length > 0) console.log('beside them:')
for (const line of context) console.log(`  ${line}`)
if (nginxSkipped !== undefined) console.log(`  (nginx left out: ${nginxSkipped})`)
console.log(`load average: ${loadAtStart} at the start, ${loadAtEnd} at the end (${os.cpus().length} cores)`)
if (failures.length > 0) {
  console.log(`failed: ${failures.join('; ')}`)
  process.exitCode = 1
}
