/**
 * bench/client: what the client API costs on a hit, against the plain
 * store read under it, in one run: `store.get` (and `getSync`), then
 * Cache.get and Cache.getOrSet hits with the raw serializer (the envelope
 * alone) and with json, v8 and msgpack (the envelope and decoding a small
 * object). Every key is read twice first, so every row reads from the heap
 * tier; each row reads the same 10,000 keys over and over, one awaited call
 * after another.
 *
 *   npm run bench -- client
 *   node dist/bench/client.js [--save]
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Cache, openStore, type SerializerName, type Store } from '../src/index.js'
import { medianOf, report, type Row } from './lib/harness.js'

const KEYS = 10_000
const PASSES = 10
const RUNS = 5
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

/** Ops/s of `read` over every key, PASSES times, median of RUNS after a warm-up. */
async function rate(read: (key: string) => unknown): Promise<number> {
  const pass = async () => {
    const start = process.hrtime.bigint()
    for (let p = 0; p < PASSES; p++) for (const key of keys) await read(key)
    return (KEYS * PASSES) / (Number(process.hrtime.bigint() - start) / 1e9)
  }
  await pass()
  return medianOf(RUNS, pass)
}

const rows: Row[] = []
const plain = await open()
for (const [i, key] of keys.entries()) await plain.set(key, Buffer.from(JSON.stringify(record(i))))
for (let warm = 0; warm < 2; warm++) for (const key of keys) plain.getSync(key)
rows.push({ name: 'store.get', opsPerSec: await rate((key) => plain.get(key)), note: 'Buffer of JSON bytes, not decoded' })
rows.push({ name: 'store.getSync', opsPerSec: await rate((key) => plain.getSync(key)), vs: 'store.get', note: 'awaited like the others' })
rows.push({ name: 'store.get + JSON.parse', opsPerSec: await rate(async (key) => JSON.parse((await plain.get(key))!.toString())), vs: 'store.get', note: 'what a user would write by hand' })

for (const serializer of ['raw', 'json', 'v8', 'msgpack'] as const satisfies readonly SerializerName[]) {
  const store = await open()
  const cache = new Cache<unknown>(store, { serializer })
  for (const [i, key] of keys.entries()) await cache.set(key, serializer === 'raw' ? Buffer.from(JSON.stringify(record(i))) : record(i))
  for (let warm = 0; warm < 2; warm++) for (const key of keys) await cache.get(key)
  if (JSON.stringify(await cache.getOrSet(keys[7], loaderMiss)) !== JSON.stringify(serializer === 'raw' ? Buffer.from(JSON.stringify(record(7))) : record(7))) {
    throw new Error(`${serializer}: the value did not come back`)
  }
  rows.push({ name: `Cache(${serializer}).get hit`, opsPerSec: await rate((key) => cache.get(key)), vs: 'store.get' })
  rows.push({ name: `Cache(${serializer}).getOrSet hit`, opsPerSec: await rate((key) => cache.getOrSet(key, loaderMiss)), vs: 'store.get' })
  await store.close()
}
await plain.close()
for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true })

report('client', 'Client API hits against the plain store read, from the heap tier', rows, {
  keys: `${KEYS.toLocaleString('en')} (${PASSES} passes a run, median of ${RUNS} runs)`,
  value: 'a 5-field object, ~100 bytes as JSON (raw: those JSON bytes as a Buffer)',
}, {
  footer: 'Produced by `npm run bench -- --save client` (or `node dist/bench/client.js --save`). Each call awaited in turn; the machine is shared, so compare ratios, not absolute figures.',
})
