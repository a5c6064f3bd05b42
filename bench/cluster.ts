/**
 * bench/cluster: several processes on one store directory (issue 11), in
 * one run, printed as ratios.
 *
 *   npm run bench -- cluster                (BENCH_QUICK=1 for the quick run)
 *   node dist/bench/cluster.js [--quick] [--keys=N] [--duration=S] [--rounds=R]
 *        [--warmup=S] [--visibility=N] [--http-duration=S] [-c N] [--skip=reads,visibility,follow,http] [--save]
 *
 * Processes are forked with child_process.fork (bench/lib/cluster-child.ts)
 * and driven by messages: 4 on one spillway directory and 4 on one lmdb-js
 * environment, all open for the whole run. Each measurement sends `run` to
 * the first N processes of an engine at once; each runs the workload for the
 * same time and reports its operations, its wall time and its CPU time
 * (process.cpuUsage()). The rate is the sum over processes of operations
 * over wall time.
 *
 * 1. Reads and a 90/10 read/write mix, Zipf(0.99) over `--keys` keys
 *    (1,000,000; `--quick` 100,000) of 100 B–4 KiB values
 *    (bench/lib/cluster-workload.ts), with 1, 2 and 4 processes; spillway
 *    and lmdb alternate cell by cell, `--rounds` times (median kept), so that
 *    a change in the machine's load falls on both. Every process first runs
 *    each workload for `--warmup` seconds (5; `--quick` 2), and each spillway
 *    cell reports how many reads its heap tiers answered. Each process maps the data itself
 *    and, both engines advising random access, takes a page fault on its first
 *    touch of each 4 KiB page: with 1 M keys (about 1.1 GB per engine) a short
 *    warm-up may leave the cells paying for some of those faults (the CPU
 *    ns/op column shows what a read costs); `--warmup` sets it.
 * 2. Visibility: one process sets keys one after another, each awaited,
 *    1 ms apart, and takes the times it called `set` and heard the
 *    acknowledgement; another spins on getSync of each key in turn (lmdb-js:
 *    renewing its read transaction before every get, or it would read its
 *    old snapshot for ever) and takes the time it first reads it. Median and
 *    p99 from the acknowledgement (negative when the value was readable
 *    before the writer heard it) and from the call.
 * 3. The cost of following when nothing changed: one spillway process
 *    reads its 1000 hottest keys (heap-tier hits) with the store's Follower.catchUp as it is and with
 *    it replaced by a no-op, alternated in short passes, timed by CPU time
 *    (see cluster-child.ts followCost), while the other three are open and
 *    idle; the median of the pairwise differences.
 * 4. HTTP hits under node:cluster, 1 worker then 2, bench/http.ts's spillway
 *    server (heap hit) on one cache directory, autocannon in this process.
 *
 * The machine's load (os.loadavg) is printed and saved with the figures.
 * BENCH_CHILD_FLAGS gives the bench processes Node flags (for example
 * `--cpu-prof --cpu-prof-dir=prof`, or `--perf-basic-prof` under `perf record`).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { machine, saveResult } from './lib/harness.js'
import { BenchChild, type EngineName, type FollowCost, type RunResult } from './lib/cluster-protocol.js'
import { measureClusterHits, type ClusterHttpResult } from './lib/cluster-http.js'
import { BODY_BYTES } from './lib/http-common.js'
import { versionOf } from './lib/http-child.js'
import { MAX_VALUE_BYTES, MIN_VALUE_BYTES, ZIPF_EXPONENT, meanValueBytes } from './lib/cluster-workload.js'
import { numberArg } from './lib/args.js'

const args = process.argv.slice(2)
const QUICK = args.includes('--quick') || process.env.BENCH_QUICK === '1'
const KEYS = Math.round(numberArg('keys', undefined, QUICK ? 100_000 : 1_000_000))
const DURATION_S = numberArg('duration', undefined, QUICK ? 0.5 : 1)
const ROUNDS = Math.round(numberArg('rounds', undefined, 3))
/** Seconds every process runs each workload before the first cell: compilation, and its first touch of each mapped page. */
/**
 * Seconds every process runs each workload before the first cell: compilation, its first touch of each
 * mapped page, and its own heap tier filling with the hot keys (each process has its own, which takes a
 * key on its second disk read). With 1 s, a 1 M-key run measured the tiers still filling: the cells with
 * more processes, each having run less, found fewer reads in them. The table's heap-tier column shows it.
 */
const DEFAULT_WARMUP_S = QUICK ? 2 : 5
const WARMUP_S = numberArg('warmup', undefined, DEFAULT_WARMUP_S)
const VISIBILITY_SETS = Math.round(numberArg('visibility', undefined, QUICK ? 300 : 1000))
const HTTP_DURATION_S = numberArg('http-duration', undefined, QUICK ? 3 : 5)
const HTTP_WARMUP_S = 2
const CONNECTIONS = Math.round(numberArg('connections', '-c', 50))
const SKIP = new Set((args.find((a) => a.startsWith('--skip='))?.slice(7) ?? '').split(',').filter((s) => s !== ''))
/** Zipf samples per process (a power of two): the loops go round them. */
const SAMPLES = 2 ** 20
const PROCESSES = [1, 2, 4]
const MAX_PROCESSES = 4
const ENGINES: EngineName[] = ['spillway', 'lmdb']
const WORKLOADS = [
  { id: 'reads', label: 'reads', writeEvery: 0 },
  { id: 'mix', label: '90/10 read/write', writeEvery: 10 },
] as const

const loadavg = (): string => os.loadavg().map((l) => l.toFixed(2)).join(', ')
const loadAtStart = loadavg()
const MEAN_VALUE = meanValueBytes(KEYS)

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}
function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]
}

console.log(
  `cluster bench: ${KEYS.toLocaleString('en-US')} keys, values ${MIN_VALUE_BYTES} B–${MAX_VALUE_BYTES} B (mean ${MEAN_VALUE.toFixed(0)} B), ` +
    `Zipf ${ZIPF_EXPONENT}, ${ROUNDS} × ${DURATION_S} s per cell; load average ${loadAtStart}${QUICK ? ' (quick)' : ''}`,
)

// --- Processes and data -----------------------------------------------

interface Group { engine: EngineName; dir: string; children: BenchChild[]; fillS: number; openS: number }

async function openGroup(engine: EngineName): Promise<Group> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-bench-cluster-${engine}-`))
  const children = await Promise.all(Array.from({ length: MAX_PROCESSES }, () => BenchChild.start()))
  const open = (c: BenchChild, i: number) => c.ask({ cmd: 'open', engine, dir, keys: KEYS, samples: SAMPLES, seed: 0x1000 + i }, 'opened')
  await open(children[0], 0)
  let start = performance.now()
  await children[0].ask({ cmd: 'fill', from: 0, to: KEYS }, 'filled')
  const fillS = (performance.now() - start) / 1e3
  start = performance.now()
  await Promise.all(children.slice(1).map((c, i) => open(c, i + 1)))
  const openS = (performance.now() - start) / 1e3
  console.log(`  ${engine}: filled in ${fillS.toFixed(1)} s, ${MAX_PROCESSES - 1} more processes opened in ${openS.toFixed(1)} s`)
  return { engine, dir, children, fillS, openS }
}

async function closeGroup(group: Group): Promise<void> {
  await Promise.all(group.children.map((c) => c.close()))
  fs.rmSync(group.dir, { recursive: true, force: true })
}

/** One cell: the first `n` processes run the workload at once. */
async function runCell(group: Group, n: number, writeEvery: number, seconds: number): Promise<RunResult[]> {
  const running = group.children.slice(0, n)
  for (const c of running) c.send({ cmd: 'run', ms: seconds * 1e3, writeEvery })
  return Promise.all(running.map(async (c) => (await c.expect('ran')).result))
}

interface Cell { rate: number; cpuPct: number; cpuNsPerOp: number; systemNsPerOp: number; faultsPerKOp: number; hitPct: number; heapHitPct: number | undefined }

function summarize(results: RunResult[]): Cell {
  const ops = (r: RunResult) => r.reads + r.writes
  const rate = results.reduce((sum, r) => sum + ops(r) / (r.wallNs / 1e9), 0)
  const cpuUs = results.reduce((sum, r) => sum + r.cpuUs, 0)
  const allOps = results.reduce((sum, r) => sum + ops(r), 0)
  const reads = results.reduce((sum, r) => sum + r.reads, 0)
  const hits = results.reduce((sum, r) => sum + r.hits, 0)
  const cpuPct = results.reduce((sum, r) => sum + (100 * r.cpuUs * 1e3) / r.wallNs, 0)
  const systemUs = results.reduce((sum, r) => sum + r.systemUs, 0)
  const faults = results.reduce((sum, r) => sum + r.minorFaults, 0)
  const heapHits = results.reduce((sum, r) => sum + r.heapHits, 0)
  const heapLookups = results.reduce((sum, r) => sum + r.heapLookups, 0)
  return {
    rate, cpuPct, cpuNsPerOp: (cpuUs * 1e3) / allOps, systemNsPerOp: (systemUs * 1e3) / allOps, faultsPerKOp: (1e3 * faults) / allOps,
    hitPct: (100 * hits) / Math.max(1, reads), heapHitPct: heapLookups === 0 ? undefined : (100 * heapHits) / heapLookups,
  }
}

// --- 1. Throughput ----------------------------------------------------

const cells = new Map<string, Cell>()
const cellKey = (workload: string, engine: EngineName, n: number) => `${workload}/${engine}/${n}`

async function throughput(groups: Group[]): Promise<void> {
  console.log(`warming up: every process runs each workload for ${WARMUP_S} s`)
  for (const w of WORKLOADS) await Promise.all(groups.map((g) => runCell(g, MAX_PROCESSES, w.writeEvery, WARMUP_S)))
  for (const w of WORKLOADS) {
    for (const n of PROCESSES) {
      const runs = new Map<EngineName, Cell[]>(groups.map((g) => [g.engine, []]))
      for (let r = 0; r < ROUNDS; r++) {
        for (const g of groups) runs.get(g.engine)!.push(summarize(await runCell(g, n, w.writeEvery, DURATION_S)))
      }
      for (const g of groups) {
        const all = runs.get(g.engine)!
        const mid = [...all].sort((a, b) => a.rate - b.rate)[all.length >> 1]
        cells.set(cellKey(w.id, g.engine, n), mid)
        console.log(`  ${w.label.padEnd(16)} ${g.engine.padEnd(8)} ${n} proc  ${Math.round(mid.rate).toLocaleString('en-US').padStart(11)} ops/s  ` +
          `CPU ${mid.cpuPct.toFixed(0).padStart(3)} %  ${mid.cpuNsPerOp.toFixed(0).padStart(6)} ns CPU/op ` +
          `(system ${mid.systemNsPerOp.toFixed(0)} ns, ${mid.faultsPerKOp.toFixed(1)} faults per 1000 ops)` +
          (mid.heapHitPct === undefined ? '' : `  heap tier ${mid.heapHitPct.toFixed(1)} %`) +
          (mid.hitPct < 100 ? `  ⚠ ${mid.hitPct.toFixed(2)} % of reads found` : ''))
      }
    }
  }
}

// --- 2. Visibility ----------------------------------------------------

interface Delays { medianUs: number; p99Us: number }
interface Visibility { fromAck: Delays; fromIssue: Delays; early: number; lost: number; samples: number }
const visibility = new Map<EngineName, Visibility>()
/** The first sets are left out: the watcher may not be spinning yet when they are made. */
const VISIBILITY_DISCARD = 5
const VISIBILITY_GAP_MS = 1

function delays(xs: number[]): Delays {
  return { medianUs: median(xs), p99Us: percentile(xs, 99) }
}

async function measureVisibility(group: Group): Promise<void> {
  const [writer, reader] = group.children
  const prefix = `visible-${group.engine}-`
  const count = VISIBILITY_SETS + VISIBILITY_DISCARD
  await reader.ask({ cmd: 'watch', prefix, count, timeoutMs: 5_000 }, 'watching')
  const set = await writer.ask({ cmd: 'set', prefix, count, gapMs: VISIBILITY_GAP_MS }, 'set')
  const seen = (await reader.expect('seen')).at
  const fromAck: number[] = []
  const fromIssue: number[] = []
  let lost = 0
  for (let k = VISIBILITY_DISCARD; k < count; k++) {
    if (seen[k] < 0) lost++
    else {
      fromAck.push((seen[k] - set.acked[k]) / 1e3)
      fromIssue.push((seen[k] - set.issued[k]) / 1e3)
    }
  }
  const v = { fromAck: delays(fromAck), fromIssue: delays(fromIssue), early: fromAck.filter((d) => d <= 0).length, lost, samples: VISIBILITY_SETS }
  visibility.set(group.engine, v)
  console.log(`  visibility ${group.engine.padEnd(8)} ack → read: median ${v.fromAck.medianUs.toFixed(1)} µs, p99 ${v.fromAck.p99Us.toFixed(1)} µs; ` +
    `set called → read: median ${v.fromIssue.medianUs.toFixed(1)} µs, p99 ${v.fromIssue.p99Us.toFixed(1)} µs` +
    ` (${v.early} of ${v.samples} read before the writer heard its acknowledgement${lost > 0 ? `; ⚠ ${lost} never seen within 5 s` : ''})`)
}

// --- 3. Following when nothing changed --------------------------------

let follow: FollowCost | undefined
const FOLLOW_ROUNDS = 15
/** Reads per timed pass: short passes, many alternations, so a change in the machine's load falls on both sides. */
const FOLLOW_PASS_READS = 2 ** 17
const pairwise = (on: number[], off: number[]): number[] => on.map((x, i) => x - off[i])

async function measureFollowCost(group: Group): Promise<void> {
  const f = await group.children[0].ask({ cmd: 'follow-cost', rounds: FOLLOW_ROUNDS, passReads: FOLLOW_PASS_READS }, 'follow-cost')
  follow = f
  console.log(`  following on ${median(f.on.cpu).toFixed(1)} CPU ns/read, off ${median(f.off.cpu).toFixed(1)}: ` +
    `${median(pairwise(f.on.cpu, f.off.cpu)).toFixed(1)} ns per read (median of ${FOLLOW_ROUNDS} pairs; by wall time ` +
    `${median(pairwise(f.on.wall, f.off.wall)).toFixed(1)} ns); unpublished claims awaited: ${f.pendingClaims.join(' → ')}`)
}

// --- 4. HTTP under node:cluster ---------------------------------------

const http: ClusterHttpResult[] = []

async function measureHttp(): Promise<void> {
  for (const workers of [1, 2]) {
    const r = await measureClusterHits(workers, CONNECTIONS, HTTP_WARMUP_S, HTTP_DURATION_S)
    http.push(r)
    const cpu = r.server.cpuUserUs + r.server.cpuSystemUs
    console.log(`  HTTP hits, ${workers} worker${workers > 1 ? 's' : ''}: ${r.load.requests.p50} req/s (median of seconds), ` +
      `${(r.load.requests.total / r.load.duration).toFixed(0)} req/s (mean), CPU ${((100 * cpu) / r.server.wallUs).toFixed(0)} %, ` +
      `${(cpu / Math.max(1, r.server.requests)).toFixed(1)} µs CPU/req, per worker ${r.server.perWorker.join(' / ')}, origin calls ${r.server.originTotal}`)
  }
}

// --- Run --------------------------------------------------------------

const groups: Group[] = []
const failures: string[] = []
try {
  if (!SKIP.has('reads') || !SKIP.has('visibility') || !SKIP.has('follow')) {
    console.log('filling and opening')
    for (const engine of ENGINES) groups.push(await openGroup(engine))
    if (!SKIP.has('reads')) await throughput(groups)
    if (!SKIP.has('visibility')) for (const g of groups) await measureVisibility(g)
    if (!SKIP.has('follow')) await measureFollowCost(groups[0])
  }
} catch (err) {
  failures.push(err instanceof Error ? err.message : String(err))
  console.log(`FAILED: ${failures.at(-1)}`)
} finally {
  for (const g of groups) await closeGroup(g)
}
if (!SKIP.has('http')) {
  try {
    await measureHttp()
  } catch (err) {
    failures.push(`http: ${err instanceof Error ? err.message : String(err)}`)
    console.log(`FAILED: ${failures.at(-1)}`)
  }
}
const loadAtEnd = loadavg()

// --- Report -----------------------------------------------------------

function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`
  return n.toFixed(0)
}
const ratio = (a: number | undefined, b: number | undefined): number | undefined => (a === undefined || b === undefined ? undefined : a / b)
const showRatio = (r: number | undefined): string => (r === undefined ? '' : `${r.toFixed(2)}×`)

const throughputTable: string[][] = [['workload', 'engine', 'processes', 'ops/s', 'MB/s read', 'CPU %', 'CPU ns/op', 'system ns/op', 'faults per 1000 ops', 'heap-tier hits %', 'vs 1 process', 'spillway ÷ lmdb']]
for (const w of WORKLOADS) {
  for (const engine of ENGINES) {
    for (const n of PROCESSES) {
      const c = cells.get(cellKey(w.id, engine, n))
      if (c === undefined) continue
      const readShare = w.writeEvery === 0 ? 1 : 1 - 1 / w.writeEvery
      throughputTable.push([
        w.label, engine, String(n), formatRate(c.rate), ((c.rate * readShare * MEAN_VALUE) / 1e6).toFixed(0),
        c.cpuPct.toFixed(0), c.cpuNsPerOp.toFixed(0), c.systemNsPerOp.toFixed(0), c.faultsPerKOp.toFixed(1),
        c.heapHitPct === undefined ? '' : c.heapHitPct.toFixed(1),
        showRatio(ratio(c.rate, cells.get(cellKey(w.id, engine, 1))?.rate)),
        engine === 'spillway' ? showRatio(ratio(c.rate, cells.get(cellKey(w.id, 'lmdb', n))?.rate)) : '',
      ])
    }
  }
}

const visibilityTable: string[][] = [['engine', 'sets', 'ack → read, median µs', 'p99 µs', 'set called → read, median µs', 'p99 µs', 'read before the ack']]
for (const [engine, v] of visibility) {
  visibilityTable.push([engine, String(v.samples), v.fromAck.medianUs.toFixed(1), v.fromAck.p99Us.toFixed(1),
    v.fromIssue.medianUs.toFixed(1), v.fromIssue.p99Us.toFixed(1), `${v.early}${v.lost > 0 ? ` (⚠ ${v.lost} never seen)` : ''}`])
}

const followCost = follow && median(pairwise(follow.on.cpu, follow.off.cpu))
const followTable: string[][] = [['read loop', 'CPU ns/read', 'wall ns/read', 'CPU ns/read, each round']]
if (follow !== undefined) {
  const round = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(', ')
  followTable.push(['following (Follower.catchUp as shipped)', median(follow.on.cpu).toFixed(1), median(follow.on.wall).toFixed(1), round(follow.on.cpu)])
  followTable.push(['following disabled (catchUp a no-op)', median(follow.off.cpu).toFixed(1), median(follow.off.wall).toFixed(1), round(follow.off.cpu)])
  followTable.push(['difference (median of the pairs)', followCost!.toFixed(1), median(pairwise(follow.on.wall, follow.off.wall)).toFixed(1),
    round(pairwise(follow.on.cpu, follow.off.cpu))])
}

const httpTable: string[][] = [['workers', 'req/s (median s)', 'req/s (mean)', 'p99 ms', 'server CPU %', 'CPU µs/req', 'requests per worker', 'origin calls', 'vs 1 worker']]
for (const r of http) {
  const cpu = r.server.cpuUserUs + r.server.cpuSystemUs
  const errors = r.load.errors + r.load.timeouts + r.load.non2xx
  httpTable.push([
    String(r.workers), String(r.load.requests.p50), (r.load.requests.total / r.load.duration).toFixed(0), String(r.load.latency.p99),
    ((100 * cpu) / r.server.wallUs).toFixed(0), (cpu / Math.max(1, r.server.requests)).toFixed(1),
    r.server.perWorker.join(' / '), `${r.server.originTotal}${errors > 0 ? ` ⚠ ${errors} errors` : ''}`,
    showRatio(ratio(r.load.requests.p50, http[0]?.load.requests.p50)),
  ])
}

interface Target { label: string; value: number | undefined; bound: number; atMost?: boolean; unit: string }
const targets: Target[] = [
  { label: 'spillway reads, 2 processes ÷ 1 process', value: ratio(cells.get('reads/spillway/2')?.rate, cells.get('reads/spillway/1')?.rate), bound: 1.7, unit: '×' },
  { label: 'spillway reads ÷ lmdb reads, 2 processes', value: ratio(cells.get('reads/spillway/2')?.rate, cells.get('reads/lmdb/2')?.rate), bound: 2, unit: '×' },
  { label: 'cost of following when nothing changed', value: followCost, bound: 30, atMost: true, unit: ' ns/read' },
  { label: 'HTTP hits, 2 workers ÷ 1 worker', value: ratio(http[1]?.load.requests.p50, http[0]?.load.requests.p50), bound: 1.7, unit: '×' },
]
function targetLine(t: Target): string {
  const want = `${t.atMost === true ? '≤' : '≥'} ${t.bound}${t.unit}`
  if (t.value === undefined) return `${t.label}: not measured (target ${want})`
  const met = t.atMost === true ? t.value <= t.bound : t.value >= t.bound
  return `${t.label}: ${t.value.toFixed(2)}${t.unit} (target ${want}) ${met ? 'met' : 'MISSED'}`
}

function printTable(title: string, table: string[][]): void {
  if (table.length < 2) return
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)))
  console.log(`\n${title}`)
  for (const row of table) console.log(row.map((cell, c) => cell.padEnd(widths[c])).join('  '))
}
function markdownTable(title: string, table: string[][]): string[] {
  if (table.length < 2) return []
  return [`## ${title}`, '', `| ${table[0].join(' | ')} |`, `| ${table[0].map(() => '---').join(' | ')} |`, ...table.slice(1).map((row) => `| ${row.join(' | ')} |`), '']
}

const sections: [string, string[][]][] = [
  ['Reads and a 90/10 mix, processes on one directory', throughputTable],
  ['Cross-process visibility: acknowledged set in one process → first read in another', visibilityTable],
  ['Following when nothing changed (one spillway process, three others open and idle)', followTable],
  ['HTTP hits under node:cluster (express + httpCache, one cache directory)', httpTable],
]
for (const [title, table] of sections) printTable(title, table)
console.log('\ntargets (from issue 11):')
for (const t of targets) console.log(`  ${targetLine(t)}`)
console.log(`load average: ${loadAtStart} at the start, ${loadAtEnd} at the end (${os.cpus().length} cores)`)
if (failures.length > 0) {
  console.log(`failed: ${failures.join('; ')}`)
  process.exitCode = 1
}

const facts: Record<string, string> = {
  ...machine(),
  'load average': `${loadAtStart} at the start, ${loadAtEnd} at the end (1, 5, 15 min; ${os.cpus().length} cores)`,
  versions: `lmdb ${versionOf('lmdb')}, express ${versionOf('express')}, autocannon ${versionOf('autocannon')}`,
  workload: `${KEYS.toLocaleString('en-US')} keys of 16 bytes, values ${MIN_VALUE_BYTES}–${MAX_VALUE_BYTES} B log-uniform ` +
    `(mean ${MEAN_VALUE.toFixed(0)} B, incompressible), reads and writes Zipf ${ZIPF_EXPONENT} over the keys (scrambled)`,
  spillway: 'defaults (64 MiB heap tier per process, durability \'interval\'), maxDiskBytes large enough that nothing is evicted; sync `getSync`, async `set`',
  lmdb: 'defaults (overlappingSync); sync `getBinary` (a stable copy), async batched `put`; a read transaction renewed by lmdb-js on its timer ' +
    '(the visibility reader renews it before every get)',
  warmup: `every process ran each workload for ${WARMUP_S} s before the first cell (each process takes a page fault on its first touch of ` +
    'each 4 KiB page of the data, which both engines map with random-access advice, and fills its own heap tier: a short warm-up ' +
    'leaves part of that in the cells; the heap-tier column shows how much of it was done)',
  loop: `batches of 1000 operations with a yield to the event loop between them; writes (every 10th operation in the mix) awaited ` +
    `1000 at a time and at the end, inside the timed span; ${ROUNDS} rounds of ${DURATION_S} s per cell, median; ` +
    'spillway and lmdb alternate cell by cell; CPU is process.cpuUsage() of the processes that ran, summed',
  http: `1 then 2 node:cluster workers of bench/lib/http-server.ts (express + httpCache, 64 MiB heap tier), GET of a ${BODY_BYTES}-byte cached JSON; ` +
    `autocannon in the bench process, ${CONNECTIONS} connections, ${HTTP_WARMUP_S} s warm-up + ${HTTP_DURATION_S} s; ` +
    'server CPU includes the primary; the load generator shares the cores',
}
for (const t of targets) facts[`target: ${t.label}`] = targetLine(t).slice(t.label.length + 2)
if (failures.length > 0) facts.failed = failures.join('; ')

const custom = KEYS !== 1_000_000 || DURATION_S !== 1 || ROUNDS !== 3 || WARMUP_S !== DEFAULT_WARMUP_S || SKIP.size > 0
const name = QUICK ? 'cluster-quick' : custom ? 'cluster-custom' : 'cluster'
saveResult(`${name}.md`, [
  '# Several processes on one directory: spillway and lmdb-js', '',
  ...Object.entries(facts).map(([k, v]) => `- ${k}: ${v}`), '',
  ...sections.flatMap(([title, table]) => markdownTable(title, table)),
  `Produced by \`${['node dist/bench/cluster.js', ...args.filter((a) => a !== '--save'), '--save'].join(' ')}\`` +
    ' (or `npm run bench -- --save cluster`). One run; the machine is shared, so compare ratios, not absolute figures, and read the load average.', '',
].join('\n'))
