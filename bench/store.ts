/**
 * bench/store: spillway's store against its peers (lmdb, classic-level,
 * medea, lru-cache) on the same workloads, in one run, one engine after
 * another.
 *
 *   npm run bench -- store
 *   node dist/bench/store.js [--quick] [--window=N] [engine-filter...]
 *
 * Each engine runs in a child process of its own (a fresh heap, and hot-loop
 * call sites that no other engine has made polymorphic); this process only
 * collects the results, prints and saves them.
 *
 * Workloads follow LevelDB's db_bench: 16-byte keys (`String(i).padStart(16, '0')`),
 * 1,000,000 keys of 100-byte values, then 200,000 keys of 4 KiB values
 * (half random, half zeros, so they compress about 2:1 as db_bench's do);
 * then, as an HTTP cache sees them, 300,000 URL-like keys of about 85 bytes
 * with values from 100 B to 4 KiB, mostly small (median about 160 B).
 * `--quick` (or BENCH_QUICK=1, the way to ask through `npm run bench`)
 * divides the key counts by 10; a filter runs only the engines whose name
 * contains it ("lmdb", "spillway", ...).
 *
 * Operations, each timed alone:
 * - fillseq: keys in order into an empty store;
 * - fillrandom: every key once, in a random order, into an empty store;
 * - overwrite: as many random keys (with repeats) over the full store;
 * - readrandom: as many random existing keys (median of 3 passes);
 * - readmissing: as many keys that were never written (median of 3);
 * - readrandom-hot: engines with an in-heap tier, after two warming passes.
 * Synchronous APIs run in a plain loop; promise APIs run in waves of
 * `--window` (1000) operations in flight, as a busy server would issue them,
 * and a write phase ends only when the engine says every write is applied.
 */
import { fork } from 'node:child_process'
import crypto from 'node:crypto'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadEngines, medianReads, reads, withStore, writes, type Engine, type Measured, type Workload } from './lib/engines.js'
import { report, saveResult, type Row } from './lib/harness.js'
import { groupedBarChart } from './lib/svg-chart.js'
import { xorshift } from './lib/seeded-random.js'

const args = process.argv.slice(2)
const QUICK = args.includes('--quick') || process.env.BENCH_QUICK === '1'
const WINDOW = Number(args.find((a) => a.startsWith('--window='))?.slice(9) ?? 1000)
if (!Number.isSafeInteger(WINDOW) || WINDOW < 1) {
  console.error('--window must be a positive integer')
  process.exit(2)
}
/** Engine filters, only when run directly: under bench/run.ts the positional arguments are benchmark names. */
const MAIN = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)
const FILTERS = MAIN ? args.filter((a) => !a.startsWith('-')).map((a) => a.toLowerCase()) : []
const SCALE = QUICK ? 10 : 1
const READ_RUNS = 3
const KEY_BYTES = 16
const OPS = ['fillseq', 'fillrandom', 'overwrite', 'readrandom', 'readmissing', 'readrandom-hot'] as const
type Op = (typeof OPS)[number]

/**
 * `short` prefixes the rows. `valueBytes` is every value's size, or for
 * URL-like keys the largest (engines size their maps by it): those values
 * run from 100 B to 4 KiB, mostly small, as an HTTP cache sees them.
 */
interface Spec extends Workload { label: string; short: string; urlKeys?: boolean }
const WORKLOADS: Spec[] = [
  { label: '100 B values', short: '100 B', valueBytes: 100, keys: 1_000_000 / SCALE },
  { label: '4 KiB values', short: '4 KiB', valueBytes: 4096, keys: 200_000 / SCALE },
  { label: 'URL-like keys of about 80 B, values of 100 B to 4 KiB', short: 'URL', valueBytes: 4096, keys: 300_000 / SCALE, urlKeys: true },
]
const SECTIONS = ['products', 'categories', 'reviews', 'search', 'users']

function keyOf(w: Spec, i: number): string {
  return w.urlKeys === true
    ? `https://shop.example.com/api/v2/${SECTIONS[i % SECTIONS.length]}/${i}?page=${i % 13}&sort=price-asc&lang=en-GB`
    : String(i).padStart(KEY_BYTES, '0')
}

/** Value sizes, seeded: fixed, or log-uniform from 100 B to 4 KiB with the cube of a uniform draw as exponent (median about 160 B). */
function valueSizes(w: Spec): Uint32Array {
  if (w.urlKeys !== true) return new Uint32Array(w.keys).fill(w.valueBytes)
  const rand = xorshift(0x512e + w.keys)
  return Uint32Array.from({ length: w.keys }, () => Math.floor(100 * (w.valueBytes / 100) ** (rand() ** 3)))
}

/** Mean bytes of a key and its value, for MB/s. */
function meanPairBytes(w: Spec): number {
  let total = 0
  for (const size of valueSizes(w)) total += size
  let keyBytes = 0
  for (let i = 0; i < w.keys; i += 97) keyBytes += keyOf(w, i).length
  return total / w.keys + keyBytes / Math.ceil(w.keys / 97)
}

/** The key and value arrays every engine is fed, built once per workload so that no formatting or allocation is timed. */
interface Data {
  keys: string[]
  values: Buffer[]
  randKeys: string[]
  randValues: Buffer[]
  overKeys: string[]
  overValues: Buffer[]
  readKeys: string[]
  missingKeys: string[]
}

function makeData(w: Spec): Data {
  const n = w.keys
  const rand = xorshift(0x5eed + n)
  const key = (i: number): string => keyOf(w, i)
  const keys = Array.from({ length: n }, (_, i) => key(i))
  const sizes = valueSizes(w)
  const starts = new Float64Array(n + 1)
  for (let i = 0; i < n; i++) starts[i + 1] = starts[i] + sizes[i]
  // Half random, half zeros: compressible as real payloads are, so no engine's compression is wasted or flattered.
  const slab = crypto.randomFillSync(Buffer.allocUnsafe(starts[n]))
  for (let i = 0; i < n; i++) slab.fill(0, starts[i] + (sizes[i] >> 1), starts[i + 1])
  const values = Array.from({ length: n }, (_, i) => slab.subarray(starts[i], starts[i + 1]))
  const perm = Uint32Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1))
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t
  }
  const over = Array.from({ length: n }, () => Math.floor(rand() * n))
  return {
    keys, values,
    randKeys: Array.from(perm, (i) => keys[i]),
    randValues: Array.from(perm, (i) => values[i]),
    overKeys: over.map((i) => keys[i]),
    overValues: over.map((i) => values[(i + (n >> 1)) % n]),
    readKeys: Array.from({ length: n }, () => keys[Math.floor(rand() * n)]),
    missingKeys: Array.from({ length: n }, () => key(n + Math.floor(rand() * n * 8))),
  }
}

type Results = Map<Op, Measured>

async function runEngine(engine: Engine, w: Workload, data: Data): Promise<Results> {
  const out: Results = new Map()
  const record = (op: Op, result: Measured): void => {
    out.set(op, result)
    console.log(`  ${engine.name.padEnd(22)} ${op.padEnd(15)} ${Math.round(result.rate).toLocaleString('en-US').padStart(12)} ops/s` +
      `  ${(1e6 / result.rate).toFixed(2).padStart(8)} µs/op${result.note ? `  (${result.note})` : ''}`)
  }
  await withStore(engine, w, async (h) => record('fillseq', { rate: await writes(h, data.keys, data.values, WINDOW) }))
  await withStore(engine, w, async (h) => {
    record('fillrandom', { rate: await writes(h, data.randKeys, data.randValues, WINDOW) })
    record('overwrite', { rate: await writes(h, data.overKeys, data.overValues, WINDOW) })
    record('readrandom', await medianReads(h, data.readKeys, true, READ_RUNS, WINDOW))
    record('readmissing', await medianReads(h, data.missingKeys, false, READ_RUNS, WINDOW))
    if (engine.hotTier) {
      for (let pass = 0; pass < 2; pass++) await reads(h, data.keys, WINDOW)
      record('readrandom-hot', await medianReads(h, data.readKeys, true, READ_RUNS, WINDOW))
    }
  })
  return out
}

/** What a child process sends back: per workload label, per operation. */
interface ChildReport {
  results: [label: string, ops: [Op, Measured][]][]
  failures: string[]
}

/** In a child: one engine, every workload, the results sent to the parent. */
async function child(name: string): Promise<void> {
  const engine = (await loadEngines()).engines.find((e) => e.name === name)
  if (engine === undefined) throw new Error(`engine ${name} did not load in the child process`)
  const out: ChildReport = { results: [], failures: [] }
  for (const w of WORKLOADS) {
    try {
      out.results.push([w.label, [...(await runEngine(engine, w, makeData(w)))]])
    } catch (err) {
      out.failures.push(`${engine.name} (${w.label}): ${(err as Error).message.split('\n')[0]}`)
      console.log(`  ${engine.name} failed on ${w.label}: ${(err as Error).stack ?? String(err)}`)
    }
  }
  await new Promise<void>((resolve) => process.send!(out, () => resolve()))
}

/** Runs one engine in a child process of its own: a fresh heap, and call sites only that engine has shaped. */
function inChild(engine: Engine): Promise<ChildReport> {
  return new Promise((resolve) => {
    const passed = args.filter((a) => a === '--quick' || a.startsWith('--window='))
    const proc = fork(fileURLToPath(import.meta.url), [...passed, `--child=${engine.name}`], { stdio: 'inherit' })
    let report: ChildReport | undefined
    proc.on('message', (m) => { report = m as ChildReport })
    proc.on('exit', (code, signal) => resolve(report ?? { results: [], failures: [`${engine.name}: child process exited with ${signal ?? `code ${code}`}`] }))
  })
}

/** Fixed colours, so that an engine keeps its colour whichever engines ran. */
const COLORS: Record<string, string> = {
  'spillway (disk tier)': '#d62728', 'spillway (heap off)': '#8c1c1c', 'spillway (hot)': '#ff7f0e', lmdb: '#1f77b4', 'lmdb noSync': '#6baed6',
  'classic-level': '#2ca02c', medea: '#9467bd', 'lru-cache': '#7f7f7f',
}

const TARGETS: [label: string, op: Op, engine: string, baseOp: Op, base: string][] = [
  ['disk-tier readrandom / lmdb get', 'readrandom', 'spillway (disk tier)', 'readrandom', 'lmdb'],
  ['disk-tier fillrandom / lmdb random put', 'fillrandom', 'spillway (disk tier)', 'fillrandom', 'lmdb'],
  ['disk-tier overwrite / lmdb random put', 'overwrite', 'spillway (disk tier)', 'overwrite', 'lmdb'],
  ['disk-tier readmissing / lmdb', 'readmissing', 'spillway (disk tier)', 'readmissing', 'lmdb'],
  ['heap-off readrandom / lmdb get', 'readrandom', 'spillway (heap off)', 'readrandom', 'lmdb'],
  ['heap-off fillrandom / lmdb random put', 'fillrandom', 'spillway (heap off)', 'fillrandom', 'lmdb'],
  ['heap-off overwrite / lmdb random put', 'overwrite', 'spillway (heap off)', 'overwrite', 'lmdb'],
  ['heap-off readmissing / lmdb', 'readmissing', 'spillway (heap off)', 'readmissing', 'lmdb'],
  ['hot readrandom / lru-cache', 'readrandom-hot', 'spillway (hot)', 'readrandom-hot', 'lru-cache'],
]

const CHILD = args.find((a) => a.startsWith('--child='))?.slice(8)
if (CHILD !== undefined) {
  await child(CHILD)
  process.exit(0)
}

const { engines: loaded, skipped } = await loadEngines()
const engines = loaded.filter((e) => FILTERS.length === 0 || FILTERS.some((f) => e.name.toLowerCase().includes(f)))
for (const note of skipped) console.log(`skipped ${note}`)
if (engines.length === 0) {
  console.error(`no engine to run${FILTERS.length > 0 ? ` matches ${FILTERS.join(', ')}` : ''}; loaded: ${loaded.map((e) => e.name).join(', ')}`)
  process.exit(2)
}

const all = new Map<Spec, Map<string, Results>>(WORKLOADS.map((w) => [w, new Map()]))
const failures: string[] = []
for (const engine of engines) {
  console.log(`\n${engine.name} ${engine.version}: ${WORKLOADS.map((w) => `${w.keys.toLocaleString('en-US')} × ${w.valueBytes} B`).join(', ')}${QUICK ? ' (quick)' : ''}`)
  const got = await inChild(engine)
  failures.push(...got.failures)
  for (const [label, ops] of got.results) all.get(WORKLOADS.find((w) => w.label === label)!)!.set(engine.name, new Map(ops))
}

const rows: Row[] = []
const targetFacts: Record<string, string> = {}
for (const [w, byEngine] of all) {
  const short = w.short
  const pairBytes = meanPairBytes(w)
  const rowName = (op: Op, engine: string): string => `${short} ${op}: ${engine}`
  for (const op of OPS) {
    const base = op === 'readrandom-hot' ? 'lru-cache' : 'lmdb'
    for (const engine of engines) {
      const r = byEngine.get(engine.name)?.get(op)
      if (r === undefined) continue
      rows.push({
        name: rowName(op, engine.name), opsPerSec: r.rate, mbPerSec: op === 'readmissing' ? undefined : (r.rate * pairBytes) / 1e6,
        vs: engine.name !== base && byEngine.get(base)?.has(op) ? rowName(op, base) : undefined,
        note: `${(1e6 / r.rate).toFixed(2)} µs/op${r.note ? `; ${r.note}` : ''}`,
      })
    }
  }
  for (const [label, op, engine, baseOp, base] of TARGETS) {
    const a = byEngine.get(engine)?.get(op)
    const b = byEngine.get(base)?.get(baseOp)
    if (a === undefined || b === undefined) continue
    const noSync = base === 'lmdb' ? byEngine.get('lmdb noSync')?.get(baseOp) : undefined
    targetFacts[`${short}: ${label}`] = `${(a.rate / b.rate).toFixed(2)}×` + (noSync ? ` (${(a.rate / noSync.rate).toFixed(2)}× lmdb noSync)` : '')
  }
}

/** A quick or filtered run saves under its own name, so that it never replaces the full results. */
const name = ['store', ...(QUICK ? ['quick'] : []), ...FILTERS.map((f) => f.replace(/\W+/g, '-'))].join('-')
const facts: Record<string, string> = {
  command: `node dist/bench/store.js ${args.join(' ')}`.trim(),
  workloads: WORKLOADS.map((w) => w.urlKeys === true
    ? `${w.keys.toLocaleString('en-US')} URL-like keys (mean key and value ${Math.round(meanPairBytes(w))} B)`
    : `${w.keys.toLocaleString('en-US')} × ${w.valueBytes} B with ${KEY_BYTES}-byte keys`).join(', '),
  method: `one child process per engine, engines in turn, a fresh directory under ${os.tmpdir()} per store; writes timed once, reads median of ${READ_RUNS}; ` +
    `promise APIs in waves of ${WINDOW} operations in flight`,
  chart: `![ops/s per engine and operation](${name}.svg)`,
}
for (const e of engines) facts[`${e.name} ${e.version}`] = e.notes
if (skipped.length > 0) facts.skipped = skipped.join('; ')
if (failures.length > 0) facts.failed = failures.join('; ')
Object.assign(facts, targetFacts)

report(name, 'spillway store vs lmdb, classic-level, medea and lru-cache (db_bench-style workloads)', rows, facts)
if (Object.keys(targetFacts).length > 0) {
  console.log('\nratios the targets care about:')
  for (const [k, v] of Object.entries(targetFacts)) console.log(`  ${k}: ${v}`)
}

const svg = groupedBarChart({
  title: `spillway store and peers: ops/s${QUICK ? ' (quick run)' : ''}`,
  unit: 'ops/s',
  panels: [...all].map(([w, byEngine]) => {
    const ops = OPS.filter((op) => engines.some((e) => byEngine.get(e.name)?.has(op)))
    return {
      title: `${w.label}, ${w.keys.toLocaleString('en-US')} keys`,
      groups: [...ops],
      series: engines.filter((e) => byEngine.has(e.name)).map((e) => ({ name: e.name, color: COLORS[e.name], values: ops.map((op) => byEngine.get(e.name)?.get(op)?.rate) })),
    }
  }),
})
saveResult(`${name}.svg`, svg)
