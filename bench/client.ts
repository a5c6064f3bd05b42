/**
 * bench/client: what the client API costs on a hit, against the plain
 * store read under it, in one run: `store.get` (and with JSON.parse), then
 * Cache.get and Cache.getOrSet hits with the raw serializer (the envelope
 * alone) and with json, v8 and msgpack (the envelope and decoding a small
 * object). Every key is read twice first, so every row reads from the heap
 * tier; each row reads the same 10,000 keys over and over, one awaited call
 * after another. The rows take turns, a pass each per round, and each
 * reports the median of its rounds.
 *
 *   npm run bench -- client
 *   node dist/bench/client.js [--save]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Cache, openStore, type SerializerName, type Store } from '../src/index.js'
import { report, type Row } from './lib/harness.js'

const KEYS = 10_000
const PASSES = 10
const RUNS = 7
const keys = Array.from({ length: KEYS }, (_, i) => `user:${String(i).padStart(8, '0')}`)
/** About 100 bytes as JSON, like the store bench's values. */
const record = (i: number) => ({ id: i, name: `user ${i}`, email: `user${i}@example.com`, roles: ['reader'], active: true })
const loaderMiss = (): never => {
  throw new Error('a hit must not load')
}

const dirs: string[] = []
async function open(): Promise<Store> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-client-'))
  dirs.push(dir)
  return openStore({ dir, durability: 'none', journalBytes: 16 * 1024 * 1024 })
}

/** One timed pass of `read` over every key, PASSES times: ops/s. */
async function pass(read: (key: string) => unknown): Promise<number> {
  const start = process.hrtime.bigint()
  for (let p = 0; p < PASSES; p++) for (const key of keys) await read(key)
  return (KEYS * PASSES) / (Number(process.hrtime.bigint() - start) / 1e9)
}

interface Case { name: string; vs?: string; note?: string; read(key: string): unknown }
const cases: Case[] = []
const stores: Store[] = []

const plain = await open()
stores.push(plain)
for (const [i, key] of keys.entries()) await plain.set(key, Buffer.from(JSON.stringify(record(i))))
cases.push({ name: 'store.get', note: 'Buffer of JSON bytes, not decoded', read: (key) => plain.get(key) })
cases.push({ name: 'store.get + JSON.parse', vs: 'store.get', note: 'decoding by hand', read: async (key) => JSON.parse((await plain.get(key))!.toString()) })

for (const serializer of ['raw', 'json', 'v8', 'msgpack'] as const satisfies readonly SerializerName[]) {
  const store = await open()
  stores.push(store)
  const cache = new Cache<unknown>(store, { serializer })
  for (const [i, key] of keys.entries()) await cache.set(key, serializer === 'raw' ? Buffer.from(JSON.stringify(record(i))) : record(i))
  if (JSON.stringify(await cache.getOrSet(keys[7], loaderMiss)) !== JSON.stringify(serializer === 'raw' ? Buffer.from(JSON.stringify(record(7))) : record(7))) {
    throw new Error(`${serializer}: the value did not come back`)
  }
  cases.push({ name: `Cache(${serializer}).get hit`, vs: 'store.get', read: (key) => cache.get(key) })
  cases.push({ name: `Cache(${serializer}).getOrSet hit`, vs: 'store.get', read: (key) => cache.getOrSet(key, loaderMiss) })
}

// Two untimed passes each: every key promoted into the heap tier, every call site warm.
for (const c of cases) for (let warm = 0; warm < 2; warm++) await pass(c.read)
// Rounds in turn, not one case after another: a load that comes and goes on the machine falls on every case alike.
const rates = cases.map((): number[] => [])
for (let round = 0; round < RUNS; round++) for (const [i, c] of cases.entries()) rates[i].push(await pass(c.read))
const medians = rates.map((r) => r.sort((a, b) => a - b)[RUNS >> 1])
const jsonGet = medians[cases.findIndex((c) => c.name === 'Cache(json).get hit')]
const rows: Row[] = cases.map((c, i) => ({ name: c.name, opsPerSec: medians[i], vs: c.vs, note: c.note, values: { vsJsonGet: medians[i] / jsonGet } }))
for (const store of stores) await store.close()
for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })

report('client', 'Client API hits against the plain store read, from the heap tier', rows, {
  keys: `${KEYS.toLocaleString('en')} (${PASSES} passes a round; median of ${RUNS} rounds, the cases in turn)`,
  value: 'a 5-field object, ~100 bytes as JSON (raw: those JSON bytes as a Buffer)',
}, {
  columns: [{ key: 'vsJsonGet', header: '× Cache(json).get', digits: 2 }],
  footer: 'Produced by `npm run bench -- --save client` (or `node dist/bench/client.js --save`). Each call awaited in turn; the cases take turns round by round; the machine is shared, so compare ratios, not absolute figures.',
})
