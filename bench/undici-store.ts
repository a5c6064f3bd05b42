/**
 * bench/undici-store: spillway's undici CacheStore against undici's own
 * MemoryCacheStore (and its SqliteCacheStore, where node:sqlite exists), on
 * the same hit workload, in one process.
 *
 *   npm run bench -- undici-store
 *   node dist/bench/undici-store.js [--hits=20000] [--rounds=7] [--urls=200]
 *
 * Workload: `--urls` URLs on an origin on port 0, each answered once with
 * `cache-control: public, max-age=3600` and a body of 1 KiB or 64 KiB, then
 * read `--hits` times in a random order. Two paths are measured:
 * - undici request hit: `request(url, { dispatcher })` through
 *   `new Agent().compose(interceptors.cache({ store }))`, body read in full;
 *   a hit never reaches the origin, so the whole request runs in process;
 * - store.get hit: the store's `get` alone, as undici's interceptor calls it,
 *   body iterated.
 * Rounds alternate between the stores, so each meets the same machine; each
 * figure is the median over the rounds of process.cpuUsage() per hit (the
 * machine is shared, and CPU time is steadier than wall time there).
 *
 * Each round of requests gets an Agent of its own, closed after it: undici
 * 7.30.2's Agent composed with interceptors.cache holds on to memory for
 * every hit it serves (about the body's size; with MemoryCacheStore too)
 * until it is closed, so one agent for the whole run grew to gigabytes. For
 * the same reason a round reads at most 128 MiB of bodies: 64 KiB bodies get
 * fewer hits a round than 1 KiB ones.
 */
import { once } from 'node:events'
import fs from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { Agent, cacheStores, interceptors, request, type Dispatcher } from 'undici'
import { SpillwayCacheStore } from '../middleware/undici-store.js'
import type { CacheKey, CacheStore, GetResult } from '../middleware/undici/contract.js'
import { report, type Row } from './lib/harness.js'
import { xorshift } from './lib/seeded-random.js'
import { integerArg } from './lib/args.js'

const QUICK = process.env.BENCH_QUICK === '1'
const HITS = integerArg('hits', QUICK ? 5000 : 20000)
const ROUNDS = integerArg('rounds', QUICK ? 3 : 7)
const URLS = integerArg('urls', 200)
const BODIES = [{ label: '1 KiB', bytes: 1024 }, { label: '64 KiB', bytes: 64 * 1024 }]

interface Contender { name: string; store: CacheStore; close(): Promise<void> }

/** Bodies one round reads at most (see above). */
const MAX_ROUND_BYTES = 128 * 1024 * 1024

function cachingAgent(store: CacheStore): { dispatcher: Dispatcher; close(): Promise<void> } {
  const agent = new Agent()
  return { dispatcher: agent.compose(interceptors.cache({ store })), close: () => agent.close() }
}

function sqliteStatus(): string {
  try {
    createRequire(import.meta.url)('node:sqlite')
    return 'available'
  } catch (err) {
    return `not run: node:sqlite does not load on Node ${process.version} (${(err as { code?: string }).code ?? 'error'})`
  }
}

async function contenders(dir: string): Promise<Contender[]> {
  const list: Array<{ name: string; store: CacheStore; close?: () => Promise<void> | void }> = [
    { name: 'MemoryCacheStore', store: new cacheStores.MemoryCacheStore({ maxSize: 1 << 30, maxCount: 1e6, maxEntrySize: 1 << 20 }) },
  ]
  if (sqliteStatus() === 'available') {
    const sqlite = new cacheStores.SqliteCacheStore({ location: path.join(dir, 'undici.sqlite') })
    list.push({ name: 'SqliteCacheStore', store: sqlite, close: () => sqlite.close() })
  }
  const spillway = new SpillwayCacheStore({ dir: path.join(dir, 'spillway'), journalBytes: 32 << 20, maxDiskBytes: 128 << 20 })
  await spillway.ready
  list.push({ name: 'SpillwayCacheStore', store: spillway, close: () => spillway.close() })
  return list.map(({ name, store, close }) => ({ name, store, close: async () => { await close?.() } }))
}

async function startOrigin(body: Buffer): Promise<{ url: string; close(): void }> {
  const server = http.createServer((_req, res) => {
    res.setHeader('cache-control', 'public, max-age=3600')
    res.end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
}

async function drain(body: GetResult['body']): Promise<number> {
  if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) return body?.length ?? 0
  let n = 0
  for await (const chunk of body as AsyncIterable<Buffer>) n += chunk.length
  return n
}

/** CPU µs a hit over `hits` hits: requests through a caching agent, or the store's get alone. */
async function measure(c: Contender, origin: string, order: number[], hits: number, viaUndici: boolean, expectBytes: number): Promise<number> {
  const keys: CacheKey[] = order.map((i) => ({ origin, method: 'GET', path: `/r/${i}`, headers: {} }))
  const agent = cachingAgent(c.store)
  const start = process.cpuUsage()
  for (let i = 0; i < hits; i++) {
    const k = keys[i % keys.length]
    let bytes: number
    if (viaUndici) {
      const res = await request(`${origin}${k.path}`, { dispatcher: agent.dispatcher })
      bytes = (await res.body.arrayBuffer()).byteLength
    } else {
      // undici hands the store a key of its own each time; so does this loop (headers normalised to an object).
      const found = await c.store.get({ ...k, headers: {} })
      bytes = await drain(found?.body)
    }
    if (bytes !== expectBytes) throw new Error(`${c.name}: a hit gave ${bytes} bytes, not ${expectBytes}`)
  }
  const used = process.cpuUsage(start)
  await agent.close()
  return (used.user + used.system) / hits
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-undici-'))
const rows: Row[] = []
const hitsByBody: string[] = []
try {
  for (const { label, bytes } of BODIES) {
    const origin = await startOrigin(Buffer.alloc(bytes, 'x'))
    const storeDir = path.join(dir, label.replace(' ', ''))
    fs.mkdirSync(storeDir)
    const list = await contenders(storeDir)
    const rand = xorshift(0x51ee + bytes)
    const hits = Math.min(HITS, Math.floor(MAX_ROUND_BYTES / bytes))
    hitsByBody.push(`${hits} (${label})`)
    const order = Array.from({ length: hits }, () => Math.floor(rand() * URLS))
    // Warm: each URL once from the origin, then twice more, so a store that promotes on a second read has.
    for (const c of list) {
      const agent = cachingAgent(c.store)
      for (let pass = 0; pass < 3; pass++) for (let i = 0; i < URLS; i++) {
        const res = await request(`${origin.url}/r/${i}`, { dispatcher: agent.dispatcher })
        await res.body.arrayBuffer()
      }
      await agent.close()
    }
    for (const viaUndici of [true, false]) {
      const samples = new Map(list.map((c) => [c.name, [] as number[]]))
      // Round -1 warms the code paths of every store and is not counted: the first store measured would pay for it alone.
      for (let round = -1; round < ROUNDS; round++) {
        for (const c of round % 2 === 0 ? list : [...list].reverse()) {
          const us = await measure(c, origin.url, order, hits, viaUndici, bytes)
          if (round >= 0) samples.get(c.name)!.push(us)
        }
      }
      const what = viaUndici ? 'undici request hit' : 'store.get hit'
      for (const c of list) {
        const us = median(samples.get(c.name)!)
        const sorted = [...samples.get(c.name)!].sort((a, b) => a - b)
        rows.push({
          name: `${what}, ${label}: ${c.name}`,
          opsPerSec: 1e6 / us,
          values: { us },
          vs: c.name === 'MemoryCacheStore' ? undefined : `${what}, ${label}: MemoryCacheStore`,
          note: `rounds ${sorted[0].toFixed(2)}–${sorted.at(-1)!.toFixed(2)} µs`,
        })
      }
    }
    for (const c of list) await c.close()
    origin.close()
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}

report('undici-store', 'undici cache stores: a hit, CPU per hit', rows, {
  undici: createRequire(import.meta.url)('undici/package.json').version as string,
  hits: `${hitsByBody.join(', ')} a round, over ${URLS} URLs in a random order; a fresh Agent each round`,
  rounds: String(ROUNDS),
  SqliteCacheStore: sqliteStatus(),
}, {
  rateHeader: 'hits per CPU s',
  columns: [{ key: 'us', header: 'CPU µs/hit', digits: 2 }],
  footer: 'Produced by `npm run bench -- --save undici-store`. Median over rounds that alternate between the stores in one process; the ratio is hits per CPU second against MemoryCacheStore\'s (above 1 is cheaper).',
})
