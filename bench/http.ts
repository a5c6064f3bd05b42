/**
 * bench/http: HTTP response caching in front of a slow Express handler —
 * spillway's middleware against apicache, and against the ceilings of
 * serving a precomputed Buffer from Express and from bare node:http.
 *
 *   npm run bench -- http              (BENCH_QUICK=1 for the quick run)
 *   node dist/bench/http.js [--quick] [-c 50] [--duration=10] [--warmup=2]
 *
 * Every configuration (bench/lib/http-common.ts) runs in a server process of
 * its own on 127.0.0.1; this process drives it with autocannon: `-c`
 * keep-alive connections, one request in flight on each, GET of one route
 * whose 2036-byte JSON body the origin builds and then sends 20 ms later.
 * Before measuring, two sequential requests check the body and fill the
 * cache (spillway stores a URL on its second miss by default, apicache on its
 * first: at most two origin calls, never one per connection),
 * then a warm-up run. The server measures its own CPU (process.cpuUsage(),
 * every thread of the process) between the `start` and `stop` messages that
 * bracket the measured run, and counts the requests it received and the
 * calls of the origin; CPU per request is the one over the other.
 *
 * Spillway's rows appear once middleware/express.ts exists and exports
 * httpCache; until then they are skipped with the reason.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { report, type Row } from './lib/harness.js'
import { BODY_BYTES, CONFIGS, DIR_ENV, ORIGIN_DELAY_MS, ROUTE, buildBody, type Config, type Counters } from './lib/http-common.js'
import { ServerFailure, ServerProcess, load, versionOf, type LoadResult } from './lib/http-child.js'
import { numberArg } from './lib/args.js'
import { cpuPerRequest, reqPerSec, serverValues } from './lib/cell-figures.js'

const args = process.argv.slice(2)
const QUICK = args.includes('--quick') || process.env.BENCH_QUICK === '1'
const CONNECTIONS = Math.round(numberArg('connections', '-c', 50))
const DURATION_S = numberArg('duration', '-d', QUICK ? 3 : 10)
const WARMUP_S = numberArg('warmup', undefined, 2)

const CEILING = 'express, precomputed Buffer'
const EXPECTED = Buffer.from(buildBody())

interface Measured { config: Config; load: LoadResult; server: Counters; primeOrigin: number }

/** Two requests in a row: the body must be the origin's, and a cache is now full. */
async function prime(url: string): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const res = await fetch(url)
    const body = Buffer.from(await res.arrayBuffer())
    if (res.status !== 200) throw new Error(`status ${res.status} on request ${i + 1}`)
    if (!body.equals(EXPECTED)) throw new Error(`request ${i + 1} got a different body (${body.length} bytes)`)
  }
}

async function measure(config: Config): Promise<Measured> {
  const dir = config.spillway ? fs.mkdtempSync(path.join(os.tmpdir(), `spillway-bench-http-`)) : undefined
  let server: ServerProcess | undefined
  try {
    server = await ServerProcess.start(config.id, dir === undefined ? {} : { [DIR_ENV]: dir })
    const url = server.url + ROUTE
    await prime(url)
    const primeOrigin = (await server.stop()).originTotal
    await load(url, CONNECTIONS, WARMUP_S)
    await server.start()
    const result = await load(url, CONNECTIONS, DURATION_S)
    const counters = await server.stop()
    return { config, load: result, server: counters, primeOrigin }
  } finally {
    await server?.close()
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true })
  }
}


console.log(
  `http caching bench: ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s per configuration, ` +
    `GET ${ROUTE} (${BODY_BYTES}-byte JSON, origin ${ORIGIN_DELAY_MS} ms)${QUICK ? ' (quick)' : ''}`,
)
const measured = new Map<string, Measured>()
const failures: string[] = []
let spillwaySkipped: string | undefined
for (const config of CONFIGS) {
  if (config.spillway && spillwaySkipped !== undefined) continue
  try {
    const m = await measure(config)
    measured.set(config.name, m)
    console.log(
      `  ${config.name}: ${reqPerSec(m).toFixed(0)} req/s, p99 ${m.load.latency.p99} ms, ` +
        `${cpuPerRequest(m).toFixed(1)} µs CPU/req, origin calls ${m.server.originTotal}`,
    )
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err)
    if (config.spillway && err instanceof ServerFailure && err.stage === 'import') {
      spillwaySkipped = message
      console.log(`skipped spillway: ${message}`)
    } else {
      failures.push(`${config.name}: ${message}`)
      console.log(`  ${config.name}: FAILED: ${message}`)
    }
  }
}

function note(m: Measured): string {
  const parts: string[] = []
  if (m.config.cached) {
    parts.push(`origin calls: ${m.server.originTotal} (${m.server.originCalls} while measured)`)
    if (m.server.originTotal > 1) parts.push('⚠ not every request was a hit')
  } else if (m.server.originCalls > 0) {
    parts.push(`origin calls: ${m.server.originCalls} while measured`)
  }
  const { errors, timeouts, non2xx } = m.load
  if (errors + timeouts + non2xx > 0) parts.push(`⚠ errors ${errors}, timeouts ${timeouts}, non-2xx ${non2xx}`)
  return parts.join('; ')
}

const get = (name: string): Measured | undefined => measured.get(name)
const apicache = get('express + apicache (memory)')
const heap = get('express + spillway (heap hit)')
const disk = get('express + spillway (disk hit)')

/** The targets the issue states, each: the ratio measured, the bound, and which way it must go. */
interface Target { label: string; ratio: number | undefined; bound: number; atMost?: boolean }
const targets: Target[] = [
  { label: 'spillway heap hit vs apicache hit, req/s', ratio: heap && apicache && reqPerSec(heap) / reqPerSec(apicache), bound: 1.0 },
  { label: 'spillway heap hit vs apicache hit, server CPU/req', ratio: heap && apicache && cpuPerRequest(heap) / cpuPerRequest(apicache), bound: 1.0, atMost: true },
  { label: 'spillway disk hit vs spillway heap hit, req/s', ratio: disk && heap && reqPerSec(disk) / reqPerSec(heap), bound: 0.9 },
]
function targetLine(t: Target): string {
  const want = `${t.atMost === true ? '≤' : '≥'} ${t.bound.toFixed(1)}×`
  if (t.ratio === undefined) return `${t.label}: not measured (target ${want})`
  const met = t.atMost === true ? t.ratio <= t.bound : t.ratio >= t.bound
  return `${t.label}: ${t.ratio.toFixed(2)}× (target ${want}) ${met ? 'met' : 'MISSED'}`
}

const rows: Row[] = [...measured.values()].map((m) => {
  const extra: string[] = []
  if (m === heap && apicache !== undefined) {
    extra.push(`vs apicache: ${(reqPerSec(m) / reqPerSec(apicache)).toFixed(2)}× req/s, ${(cpuPerRequest(m) / cpuPerRequest(apicache)).toFixed(2)}× CPU/req`)
  }
  if (m === disk && heap !== undefined) extra.push(`vs heap hit: ${(reqPerSec(m) / reqPerSec(heap)).toFixed(2)}× req/s`)
  return {
    name: m.config.name,
    opsPerSec: reqPerSec(m),
    mbPerSec: (reqPerSec(m) * BODY_BYTES) / 1e6,
    vs: m.config.name === CEILING || !measured.has(CEILING) ? undefined : CEILING,
    note: [note(m), ...extra].filter((s) => s !== '').join('; '),
    values: serverValues(m),
  }
})

const facts: Record<string, string> = {
  load: `autocannon ${versionOf('autocannon')} in the bench process, ${CONNECTIONS} keep-alive connections, no pipelining, ` +
    `${WARMUP_S} s warm-up then ${DURATION_S} s measured per configuration, on 127.0.0.1`,
  versions: `express ${versionOf('express')}, apicache ${versionOf('apicache')}, NODE_ENV=production in the servers`,
  route: `GET ${ROUTE}: ${BODY_BYTES}-byte JSON built by the origin, sent ${ORIGIN_DELAY_MS} ms later with Cache-Control: public, max-age=300`,
  'req/s': 'median of autocannon\'s per-second samples (requests.p50); MB/s is body bytes only',
  'p99 ms': 'autocannon\'s latency p99, in whole milliseconds',
  'server CPU': 'process.cpuUsage() of the server process (user + system, all its threads) over the measured run, divided by ' +
    'the requests it received in that time; CPU % is that time over the wall time (100 % = one core)',
  'RSS MiB': 'the server\'s resident set at the end of the measured run',
  cores: `${os.cpus().length}, shared by autocannon and the server: a server below 100 % CPU is limited by the client`,
  'reference (before)': 'express 5 + precomputed Buffer ≈ 4.5–5.3 k req/s, apicache ≈ 4.6–5.9 k, node:http ≈ 26–34 k at -c 50',
}
for (const t of targets) facts[`target: ${t.label}`] = targetLine(t).slice(t.label.length + 2)
if (spillwaySkipped !== undefined) facts.skipped = `spillway: ${spillwaySkipped}`
if (failures.length > 0) facts.failed = failures.join('; ')

/** A quick or non-default run saves under its own name, so that it never replaces the full results. */
const name = ['http', ...(QUICK ? ['quick'] : []), ...(CONNECTIONS !== 50 ? [`c${CONNECTIONS}`] : [])].join('-')
report(name, 'HTTP response caching: spillway middleware vs apicache and the precomputed-Buffer ceilings', rows, facts, {
  nameHeader: 'configuration',
  rateHeader: 'req/s',
  columns: [
    { key: 'p99', header: 'p99 ms' },
    { key: 'cpu', header: 'CPU µs/req', digits: 1 },
    { key: 'cpuPct', header: 'CPU %' },
    { key: 'rss', header: 'RSS MiB' },
  ],
  footer: `Produced by \`npm run bench -- --save http\`${QUICK ? ' with BENCH_QUICK=1 (or `node dist/bench/http.js --quick`)' : ''}. ` +
    'One run per configuration, each server in its own ' +
    'process; the machine is shared, so compare ratios, not absolute figures.',
})

console.log('\ntargets (from the issue):')
for (const t of targets) console.log(`  ${targetLine(t)}`)
if (spillwaySkipped !== undefined) console.log(`  (spillway skipped: ${spillwaySkipped})`)
if (failures.length > 0) {
  console.log(`failed: ${failures.join('; ')}`)
  process.exitCode = 1
}
