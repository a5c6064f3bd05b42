/**
 * Run with --expose-gc by memory-bound.test.ts: the cache middleware on a
 * plain node:http server (as Connect runs it: Express's own cost per request
 * would only make the run longer), and a keep-alive client in the same
 * process. Each of
 * `entries` URLs is requested once and stored with one tag of its own, given
 * by Surrogate-Key (even URLs) or res.locals.cacheTags (odd ones). Prints one
 * JSON line with the growth of the JS heap and of external memory per entry,
 * between two full collections.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setImmediate as tick } from 'node:timers/promises'
import { httpCache } from '../../middleware/express.js'
import { openStore } from '../../src/index.js'
import { fullCollection } from '../helpers/full-collection.js'

const [dir, countArg] = process.argv.slice(2)
const entries = Number(countArg)
/** Requests in flight at once. */
const CONCURRENCY = 8

const store = await openStore({ dir, maxHeapBytes: 0, journalBytes: 64 * 1024 * 1024 })
// Every response is stored on its first miss, so each URL is requested once.
const cache = httpCache({ store, admission: 'always' })
const server = http.createServer((req, res) => cache(req, res, () => {
  const n = Number(req.url!.slice('/item/'.length))
  if (n % 2 === 0) res.setHeader('surrogate-key', `item-${n}`)
  else (res as typeof res & { locals: object }).locals = { cacheTags: [`item-${n}`] }
  res.setHeader('cache-control', 'max-age=3600')
  res.setHeader('content-type', 'text/plain')
  res.end('x')
}))
// As in flooding.test.ts: a stall past the keep-alive timeout would close a connection under the agent's next request.
server.keepAliveTimeout = 0
server.listen(0, '127.0.0.1')
await new Promise<void>((resolve) => server.once('listening', () => resolve()))
const { port } = server.address() as AddressInfo
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY })

function request(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${path}: ${res.statusCode}`))))
    }).once('error', reject)
  })
}

/** Requests /item/from … /item/to-1, CONCURRENCY at a time, then waits until the store has written each. */
async function requestAll(from: number, to: number): Promise<void> {
  const writesBefore = store.stats().disk.diskWrites
  let next = from
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < to) await request(`/item/${next++}`)
  }))
  // Entries are stored after each response finishes: wait for the writes, not for time.
  while (store.stats().disk.diskWrites < writesBefore + (to - from)) await tick()
}

await requestAll(0, 2000)
await fullCollection('memory-child')
const before = process.memoryUsage()
await requestAll(2000, 2000 + entries)
await fullCollection('memory-child')
const after = process.memoryUsage()
const purged = await cache.purgeTag(`item-${2000 + (entries >> 1)}`)
agent.destroy()
server.closeAllConnections()
await new Promise<void>((resolve) => server.close(() => resolve()))
await store.close()
console.log(JSON.stringify({
  heapPerEntry: (after.heapUsed - before.heapUsed) / entries,
  // arrayBuffers, not external: V8 counts mapped journal views in external, though they are file-backed.
  externalPerEntry: (after.arrayBuffers - before.arrayBuffers) / entries,
  purged,
}))
