/**
 * bench/keyv: Keyv 5 over three stores on one workload, in one run:
 * KeyvSpillway, @keyv/sqlite (a file on the same disk), and Keyv's default
 * in-memory Map.
 *
 *   npm run bench -- keyv
 *   node dist/bench/keyv.js [--quick] [--save]
 *
 * Each store runs in a child process of its own (a fresh heap, and Keyv's
 * call sites seeing one store only), driven pass by pass over IPC: the read
 * passes take turns across the three, so a load that comes and goes on a
 * shared machine falls on all of them. This process collects, prints and,
 * with --save, saves the table as bench/results/keyv.md.
 *
 * Workload: 10,000 keys (`key:000001`…), each value a 100-character string,
 * which Keyv serializes to JSON with its expiry, as an application's cache
 * would. Calls are issued in waves of WINDOW in flight, as a busy server
 * issues them, and each wave is awaited.
 * - set: every key once, into an empty store (timed once);
 * - get hit: every key, in a shuffled order, three times over per pass
 *   (median of 5 passes after 2 warming ones); a get that misses fails the run;
 * - get miss: as many keys never set, likewise.
 * Every store runs with its defaults: spillway's 'interval' durability (an
 * msync at least every 100 ms), @keyv/sqlite's rollback journal with
 * SQLite's default synchronous=FULL (an fsync per write).
 */
import { fork } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Keyv from 'keyv'
import { report, type Row } from './lib/harness.js'
import { xorshift } from './lib/seeded-random.js'

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const KEYS = QUICK ? 1_000 : 10_000
const WINDOW = 100
const READ_RUNS = 5
/** Sweeps over the keys in one read pass: a pass of a few milliseconds would measure the machine's scheduling, not the store. */
const SWEEPS = 3
/** Read passes before the timed ones: Keyv's and each store's code reaches its optimized tier only after a few. */
const WARMING_PASSES = 2
const VALUE = 'v'.repeat(100)
const ENGINES = ['spillway', 'sqlite', 'map'] as const
type EngineName = (typeof ENGINES)[number]
const LABELS: Record<EngineName, string> = { spillway: 'KeyvSpillway', sqlite: '@keyv/sqlite', map: 'Keyv Map (memory)' }
const OPS = ['set', 'get hit', 'get miss'] as const
type Op = (typeof OPS)[number]
type Rates = Record<Op, number>

const keyOf = (i: number) => `key:${String(i).padStart(6, '0')}`

/** A Keyv over the named store, in `dir`. */
async function openEngine(name: EngineName, dir: string): Promise<Keyv> {
  if (name === 'map') return new Keyv()
  if (name === 'spillway') {
    const { KeyvSpillway } = await import('../src/adapters/keyv.js')
    const adapter = new KeyvSpillway({ dir })
    await adapter.ready()
    return new Keyv({ store: adapter })
  }
  const { default: KeyvSqlite } = await import('@keyv/sqlite')
  return new Keyv({ store: new KeyvSqlite(`sqlite://${path.join(dir, 'keyv.sqlite')}`) })
}

/** Ops per second of `op` over `keys`, WINDOW calls in flight at a time. */
async function rate(keys: string[], op: (key: string) => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < keys.length; i += WINDOW) {
    await Promise.all(keys.slice(i, i + WINDOW).map(op))
  }
  return keys.length / (Number(process.hrtime.bigint() - start) / 1e9)
}

/** One engine in a child process of its own, driven pass by pass over IPC, so the engines' passes interleave. */
class EngineChild {
  readonly name: EngineName
  #child: ReturnType<typeof fork>
  #pending: ((reply: Reply) => void) | undefined

  constructor(name: EngineName) {
    this.name = name
    this.#child = fork(fileURLToPath(import.meta.url), [`--child=${name}`, ...(QUICK ? ['--quick'] : [])], { stdio: 'inherit' })
    this.#child.on('message', (m) => {
      const resolve = this.#pending
      this.#pending = undefined
      resolve?.(m as Reply)
    })
    this.#child.on('exit', (code) => {
      const resolve = this.#pending
      this.#pending = undefined
      resolve?.({ error: `bench/keyv child ${name} exited with ${code}` })
    })
  }

  /** Runs one pass of `op` in the child; its rate in ops/s. */
  async run(op: Command): Promise<number> {
    const reply = await new Promise<Reply>((resolve) => {
      this.#pending = resolve
      this.#child.send(op)
    })
    if ('error' in reply) throw new Error(`${this.name}: ${reply.error}`)
    return reply.rate
  }
}

type Command = 'open' | Op | 'close'
type Reply = { rate: number } | { error: string }

/** The child's side: the engine, the keys, and one pass per command. */
async function serve(name: EngineName): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-bench-keyv-${name}-`))
  let keyv: Keyv | undefined
  const errors: unknown[] = []
  const keys = Array.from({ length: KEYS }, (_, i) => keyOf(i))
  const random = xorshift(42)
  const shuffled = [...keys]
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]]
  }
  const missing = keys.map((key) => `${key}:missing`)
  const sweep = (list: string[]) => Array.from({ length: SWEEPS }, () => list).flat()
  const hitPass = sweep(shuffled)
  const missPass = sweep(missing)
  const passes: Record<Op, (k: Keyv) => Promise<number>> = {
    'set': (k) => rate(keys, (key) => k.set(key, VALUE)),
    'get hit': (k) => rate(hitPass, async (key) => {
      // A benchmark of a store that lost writes would measure nothing.
      if (await k.get(key) !== VALUE) throw new Error(`${key} missing`)
    }),
    'get miss': (k) => rate(missPass, (key) => k.get(key)),
  }
  process.on('message', (command: Command) => {
    // The channel stays open until the reply to 'close' is out; then the child has nothing left to do and exits.
    const done = (reply: Reply) => process.send!(reply, () => { if (command === 'close') process.disconnect() })
    const work = async (): Promise<number> => {
      if (command === 'open') {
        keyv = await openEngine(name, dir)
        keyv.on('error', (err: unknown) => errors.push(err))
        return 0
      }
      if (command === 'close') {
        await keyv!.disconnect()
        fs.rmSync(dir, { recursive: true, force: true })
        return 0
      }
      const measured = await passes[command](keyv!)
      if (errors.length > 0) throw new Error(`${errors.length} errors, the first ${String(errors[0])}`)
      return measured
    }
    work().then((r) => done({ rate: r }), (err: unknown) => done({ error: err instanceof Error ? err.message : String(err) }))
  })
}

function median(rates: number[]): number {
  return [...rates].sort((a, b) => a - b)[rates.length >> 1]
}

const childArg = process.argv.find((a) => a.startsWith('--child='))
if (childArg !== undefined) {
  await serve(childArg.slice('--child='.length) as EngineName)
} else {
  const children = ENGINES.map((name) => new EngineChild(name))
  const results = {} as Record<EngineName, Rates>
  for (const child of children) {
    await child.run('open')
    console.log(`bench/keyv: ${LABELS[child.name]} set…`)
    results[child.name] = { set: await child.run('set'), 'get hit': 0, 'get miss': 0 }
  }
  // Read passes in turns, one engine after another each round: a load that comes and goes on a shared machine falls on all of them.
  for (const op of ['get hit', 'get miss'] as const) {
    console.log(`bench/keyv: ${op}…`)
    for (let pass = 0; pass < WARMING_PASSES; pass++) for (const child of children) await child.run(op)
    const rates = new Map<EngineName, number[]>(ENGINES.map((name) => [name, []]))
    for (let run = 0; run < READ_RUNS; run++) {
      for (const child of children) rates.get(child.name)!.push(await child.run(op))
    }
    for (const name of ENGINES) results[name][op] = median(rates.get(name)!)
  }
  for (const child of children) await child.run('close')
  const rows: Row[] = []
  for (const op of OPS) {
    const base = `${op}: ${LABELS.spillway}`
    for (const name of ENGINES) {
      const row: Row = { name: `${op}: ${LABELS[name]}`, opsPerSec: results[name][op] }
      if (name !== 'spillway') row.vs = base
      rows.push(row)
    }
  }
  const keyvVersion = (JSON.parse(fs.readFileSync(new URL('../../node_modules/keyv/package.json', import.meta.url), 'utf8')) as { version: string }).version
  const sqliteVersion = (JSON.parse(fs.readFileSync(new URL('../../node_modules/@keyv/sqlite/package.json', import.meta.url), 'utf8')) as { version: string }).version
  report('keyv', 'Keyv over KeyvSpillway, @keyv/sqlite and its in-memory Map', rows, {
    keyv: keyvVersion,
    '@keyv/sqlite': sqliteVersion,
    workload: `${KEYS} keys, 100-character string values, ${WINDOW} calls in flight; gets: ${SWEEPS} sweeps of the keys a pass, median of ${READ_RUNS} passes after ${WARMING_PASSES} warming ones, the stores taking turns`,
    durability: "each store's defaults: spillway 'interval' (msync every 100 ms at most), SQLite synchronous=FULL (an fsync per write)",
  })
}
