/**
 * The engines bench/store.ts compares, behind one small adapter each.
 *
 * Every peer is loaded with a dynamic import, so a peer that failed to install
 * or load is skipped with a note instead of stopping the run; spillway's store
 * is picked up from src/index.ts as soon as it exports `openStore`.
 *
 * Hot loops call whichever API a performance-minded user of each engine would:
 * a synchronous call where the engine has one that is meant for hot paths
 * (`putSync`/`getSync`), otherwise the promise API. bench/store.ts drives
 * promise APIs with a bounded number of operations in flight, and times
 * `flush()` together with the writes it waits for (see `writes` and `reads`
 * at the end of this file).
 */
import fs from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type { RootDatabase } from 'lmdb'

/** What an engine is opened for: sizes the in-memory engines and spillway's heap tier. */
export interface Workload {
  keys: number
  valueBytes: number
}

/** One open store. Each engine provides exactly one of putSync/put and one of getSync/get. */
export interface Handle {
  putSync?(key: string, value: Buffer): void
  put?(key: string, value: Buffer): Promise<unknown>
  getSync?(key: string): Buffer | undefined
  get?(key: string): Promise<Buffer | undefined>
  /** Resolves once every write issued so far is applied and visible to reads. */
  flush(): Promise<void>
  close(): Promise<void>
}

export interface Engine {
  name: string
  version: string
  /** Which calls the hot loops use, and the durability setting: printed with the results. */
  notes: string
  /** Keeps values in the JS heap, so readrandom-hot (after warming) means something. */
  hotTier: boolean
  open(dir: string, workload: Workload): Promise<Handle>
}

/** The subset of spillway's store API (src/store, landing) that the bench uses. */
interface SpillwayStore {
  getSync(key: string): Buffer | undefined
  set(key: string, value: Buffer): Promise<void>
  close(): Promise<void>
}
type OpenStore = (options: {
  dir: string
  maxHeapBytes?: number
  maxDiskBytes?: number
  durability?: 'none' | 'interval' | 'always'
}) => Promise<SpillwayStore>

/** medea ships no types: the callback API it has, as used here. */
interface MedeaDb {
  open(dir: string, cb: (err?: Error | null) => void): void
  put(key: string, value: Buffer, cb: (err?: Error | null) => void): void
  get(key: string, cb: (err: Error | null | undefined, value?: Buffer) => void): void
  close(cb: (err?: Error | null) => void): void
}
type MedeaCtor = new (options?: Record<string, unknown>) => MedeaDb

const require = createRequire(import.meta.url)

/** The installed version, from the package's own package.json (exports maps may hide it from require). */
function installedVersion(pkg: string): string {
  try {
    const file = new URL(`../../../node_modules/${pkg}/package.json`, import.meta.url)
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version
  } catch {
    return 'unknown'
  }
}

function callback(run: (cb: (err?: Error | null) => void) => void): Promise<void> {
  return new Promise((resolve, reject) => run((err) => (err ? reject(err) : resolve())))
}

/** Bytes a fully hot spillway heap tier needs for the workload, with room for per-entry overhead. */
function hotHeapBytes(w: Workload): number {
  return Math.ceil(w.keys * (w.valueBytes + 16 + 256) * 1.25)
}

async function lruCache(): Promise<Engine> {
  const { LRUCache } = await import('lru-cache')
  return {
    name: 'lru-cache', version: installedVersion('lru-cache'), hotTier: true,
    notes: 'in memory only, `max` = key count (no size accounting); sync set/get',
    async open(_dir, w) {
      const cache = new LRUCache<string, Buffer>({ max: w.keys })
      return {
        putSync: (key, value) => void cache.set(key, value),
        getSync: (key) => cache.get(key),
        async flush() {},
        async close() { cache.clear() },
      }
    },
  }
}

async function lmdb(noSync: boolean): Promise<Engine> {
  const { open } = await import('lmdb')
  return {
    name: noSync ? 'lmdb noSync' : 'lmdb', version: installedVersion('lmdb'), hotTier: false,
    notes: noSync
      ? 'as lmdb, with `noSync: true`: no fsync at all (the OS writes back when it likes)'
      : 'defaults (`overlappingSync`: a batch is acknowledged at commit, its fsync follows in the background); ' +
        'async batched `put`, sync `getBinary` (a stable copy; not `getBinaryFast`, whose buffer the next call reuses)',
    async open(dir) {
      const db: RootDatabase<Buffer, string> = open<Buffer, string>({ path: dir, encoding: 'binary', noSync })
      return {
        put: (key, value) => db.put(key, value),
        getSync: (key) => db.getBinary(key),
        async flush() { await db.committed },
        async close() { await db.close() },
      }
    },
  }
}

async function classicLevel(): Promise<Engine> {
  const { ClassicLevel } = await import('classic-level')
  return {
    name: 'classic-level', version: installedVersion('classic-level'), hotTier: false,
    notes: 'LevelDB defaults (snappy, 8 MiB block cache, 4 MiB write buffer), `sync: false` writes; async `put`, sync `getSync`',
    async open(dir) {
      const db = new ClassicLevel<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' })
      await db.open()
      return {
        put: (key, value) => db.put(key, value),
        getSync: (key) => db.getSync(key),
        async flush() {},
        async close() { await db.close() },
      }
    },
  }
}

async function medea(): Promise<Engine> {
  const Medea = require('medea') as MedeaCtor
  return {
    name: 'medea', version: installedVersion('medea'), hotTier: false,
    notes: 'defaults (no fsync per put); callback `put`/`get` only (each `get` is an `fs.read`), wrapped in promises',
    async open(dir) {
      const db = new Medea()
      await callback((cb) => db.open(dir, cb))
      return {
        put: (key, value) => callback((cb) => db.put(key, value, cb)),
        get: (key) => new Promise((resolve, reject) => db.get(key, (err, value) => (err ? reject(err) : resolve(value)))),
        async flush() {},
        async close() { await callback((cb) => db.close(cb)) },
      }
    },
  }
}

/** The heap tier spillway runs with: none, 1 MiB (far smaller than the working set), or room for every value. */
type HeapTierSize = 'off' | 'small' | 'hot'

const SPILLWAY_VARIANTS: Record<HeapTierSize, { name: string; notes: string }> = {
  off: { name: 'spillway (heap off)', notes: 'heap tier off (maxHeapBytes 0): every read goes to the disk tier' },
  small: { name: 'spillway (disk tier)', notes: 'heap tier of 1 MiB, far smaller than the working set' },
  hot: { name: 'spillway (hot)', notes: 'heap tier sized to hold every value' },
}

function spillwayEngine(openStore: OpenStore, heap: HeapTierSize): Engine {
  const { name, notes } = SPILLWAY_VARIANTS[heap]
  return {
    name, version: ownVersion(),
    hotTier: heap === 'hot',
    notes: `${notes}; durability 'interval' (msync every 100 ms), other options default; async \`set\`, sync \`getSync\``,
    async open(dir, w) {
      const store = await openStore({
        dir, durability: 'interval',
        maxHeapBytes: heap === 'hot' ? hotHeapBytes(w) : heap === 'small' ? 2 ** 20 : 0,
        maxDiskBytes: Math.max(2 ** 30, 4 * w.keys * (w.valueBytes + 64)),
      })
      return {
        put: (key, value) => store.set(key, value),
        getSync: (key) => store.getSync(key),
        async flush() {},
        async close() { await store.close() },
      }
    },
  }
}

function ownVersion(): string {
  const file = new URL('../../../package.json', import.meta.url)
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version
}

/** Every engine that loads, in report order, and a note for each one that does not. */
export async function loadEngines(): Promise<{ engines: Engine[]; skipped: string[] }> {
  const engines: Engine[] = []
  const skipped: string[] = []
  const tryLoad = async (name: string, load: () => Promise<Engine[]>): Promise<void> => {
    try {
      engines.push(...(await load()))
    } catch (err) {
      skipped.push(`${name}: ${(err as Error).message.split('\n')[0]}`)
    }
  }
  await tryLoad('spillway', async () => {
    const mod = (await import('../../src/index.js')) as Record<string, unknown>
    if (typeof mod.openStore !== 'function') throw new Error('src/index.ts does not export openStore yet')
    const openStore = mod.openStore as OpenStore
    return [spillwayEngine(openStore, 'small'), spillwayEngine(openStore, 'off'), spillwayEngine(openStore, 'hot')]
  })
  await tryLoad('lmdb', async () => [await lmdb(false), await lmdb(true)])
  await tryLoad('classic-level', async () => [await classicLevel()])
  await tryLoad('medea', async () => [await medea()])
  await tryLoad('lru-cache', async () => [await lruCache()])
  return { engines, skipped }
}

// --- Driving an engine --------------------------------------------------

export interface Measured {
  /** Operations per second. */
  rate: number
  note?: string
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}

/**
 * Writes keys[i] = values[i] for every i and gives ops/s, the final flush
 * included. A sync API runs in a plain loop; a promise API in waves of
 * `window` operations in flight, each wave awaited before the next.
 */
export async function writes(h: Handle, keys: string[], values: Buffer[], window: number): Promise<number> {
  const n = keys.length
  const start = process.hrtime.bigint()
  if (h.putSync !== undefined) {
    for (let i = 0; i < n; i++) h.putSync(keys[i], values[i])
  } else if (h.put !== undefined) {
    for (let i = 0; i < n; i += window) {
      const wave: Promise<unknown>[] = []
      for (let j = i, end = Math.min(n, i + window); j < end; j++) wave.push(h.put(keys[j], values[j]))
      await Promise.all(wave)
    }
  }
  await h.flush()
  return n / secondsSince(start)
}

/** Gets every key: ops/s, and how many were found. */
export async function reads(h: Handle, keys: string[], window: number): Promise<{ rate: number; hits: number }> {
  const n = keys.length
  let hits = 0
  const start = process.hrtime.bigint()
  if (h.getSync !== undefined) {
    for (let i = 0; i < n; i++) if (h.getSync(keys[i]) !== undefined) hits++
  } else if (h.get !== undefined) {
    for (let i = 0; i < n; i += window) {
      const wave: Promise<Buffer | undefined>[] = []
      for (let j = i, end = Math.min(n, i + window); j < end; j++) wave.push(h.get(keys[j]))
      for (const v of await Promise.all(wave)) if (v !== undefined) hits++
    }
  }
  return { rate: n / secondsSince(start), hits }
}

/** The median of `runs` passes of `reads`, with a note when the hits are not all (or none) of the keys. */
export async function medianReads(h: Handle, keys: string[], expectHits: boolean, runs: number, window: number): Promise<Measured> {
  const all: { rate: number; hits: number }[] = []
  for (let r = 0; r < runs; r++) all.push(await reads(h, keys, window))
  all.sort((a, b) => a.rate - b.rate)
  const mid = all[runs >> 1]
  if (mid.hits === (expectHits ? keys.length : 0)) return { rate: mid.rate }
  return { rate: mid.rate, note: `found ${((100 * mid.hits) / keys.length).toFixed(1)}% of keys (expected ${expectHits ? 100 : 0}%)` }
}

/** Opens the engine in a fresh directory under os.tmpdir(), runs `body`, closes it and deletes the directory. */
export async function withStore(engine: Engine, w: Workload, body: (h: Handle) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-bench-store-${engine.name.replace(/\W+/g, '-')}-`))
  try {
    const h = await engine.open(dir, w)
    try { await body(h) } finally { await h.close() }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
