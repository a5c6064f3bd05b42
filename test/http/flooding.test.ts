/**
 * Flooding (issue 10 G): an attacker's stream of unique URLs (random query
 * strings on a route that ignores them) must not push the hot set out of
 * either tier. 50,000 unique URLs mixed with 5,000 requests to 100 hot
 * URLs: the hot requests' hit ratio (a count of Cache-Status hits) stays at
 * least 95 % of what it is without the flood.
 */
import assert from 'node:assert/strict'
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import connect from 'connect'
import { openStore } from '../../src/index.js'
import { httpCache, type HttpCacheOptions } from '../../middleware/express.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { tempDir } from '../helpers/temp-dir.js'

const HOT_URLS = 100
const HOT_REQUESTS = 5_000
const FLOOD_URLS = 50_000
const KiB = 1024
const BODY = 'x'.repeat(600)
/** Small tiers, so that the flood overflows both many times over: about 100 entries in the heap, 1,000 on disk. */
const TIERS = { maxHeapBytes: 160 * KiB, journalBytes: 256 * KiB, maxDiskBytes: 1024 * KiB }

interface Outcome { hotHits: number; heapHits: number }

/** The hot requests' hits, with or without the flood mixed in, in one seeded order. */
async function hotSet(config: Config, flood: boolean): Promise<Outcome> {
  const options = config.http
  const store = await openStore({ dir: tempDir('flood'), ...TIERS, admission: config.storeAdmission })
  const cache = httpCache({ store, ...options })
  const app = connect()
  app.use(cache)
  app.use((_req: http.IncomingMessage, res: http.ServerResponse) => {
    res.setHeader('cache-control', 'public, max-age=3600')
    res.end(BODY)
  })
  const server = http.createServer(app) as Server
  // The agent reuses its one connection without asking how long it sat idle: when the whole process
  // stalls past the server's keep-alive timeout (a loaded machine), the server's timer fires first
  // and closes the connection under the next request ("socket hang up"). Idle timeouts are not tested here.
  server.keepAliveTimeout = 0
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const port = (server.address() as AddressInfo).port
  const get = (path: string) => new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(String(res.headers['cache-status'])))
    }).on('error', reject)
  })
  const random = seededRandom(10)
  let hotHits = 0
  let heapHits = 0
  let flooded = 0
  try {
    for (let hot = 0; hot < HOT_REQUESTS; hot++) {
      // About ten unique URLs between two hot requests.
      const floodNow = flood ? Math.round(((hot + 1) * FLOOD_URLS) / HOT_REQUESTS) - flooded : 0
      for (let i = 0; i < floodNow; i++) await get(`/item?r=${(flooded++).toString(36)}-${Math.floor(random() * 1e9)}`)
      const before = store.stats().heap.hits
      const status = await get(`/item?hot=${Math.floor(random() * HOT_URLS)}`)
      if (/; hit(;|$)/.test(status)) {
        hotHits++
        if (store.stats().heap.hits > before) heapHits++
      }
    }
  } finally {
    agent.destroy()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await store.close()
  }
  return { hotHits, heapHits }
}

interface Config { name: string; http: Partial<HttpCacheOptions>; storeAdmission: 'always' | 'second-hit' }

/**
 * The default runs every time. FLOOD_CONFIGS=all also runs the others, for
 * the comparison in README "Security": HTTP admission 'always', and the
 * store's own 'second-hit' admission behind it.
 */
const CONFIGS: Config[] = [
  { name: 'default (HTTP admission second-hit)', http: {}, storeAdmission: 'always' },
  ...(process.env.FLOOD_CONFIGS === 'all' ? [
    { name: "HTTP admission 'always'", http: { admission: 'always' as const }, storeAdmission: 'always' as const },
    { name: "HTTP admission 'always', store admission 'second-hit'", http: { admission: 'always' as const }, storeAdmission: 'second-hit' as const },
  ] : []),
]

describe('flooding with unique URLs', () => {
  it("by default a URL is stored on its second miss; admission 'always' stores the first; bad values are refused", async () => {
    for (const [admission, originCalls] of [[undefined, 2], ['always', 1]] as const) {
      const cache = httpCache({ dir: tempDir('flood'), ...(admission === undefined ? {} : { admission }) })
      const app = connect()
      let calls = 0
      app.use(cache)
      app.use((_req: http.IncomingMessage, res: http.ServerResponse) => { calls++; res.setHeader('cache-control', 'max-age=60'); res.end('a') })
      const server = http.createServer(app).listen(0, '127.0.0.1')
      await new Promise<void>((resolve) => server.once('listening', () => resolve()))
      await cache.purgeTag('ready')
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a`
      for (let i = 0; i < 4; i++) await fetch(url).then((r) => r.text())
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cache.close()
      assert.equal(calls, originCalls, `admission ${admission ?? 'default'}`)
    }
    assert.throws(() => httpCache({ dir: tempDir('flood'), admission: 'third-hit' as 'always' }), /httpCache options\.admission must be one of/)
  })

  it('a burst of first requests for a new URL still makes one origin call: the waiting requests count as misses', async () => {
    const burst = 5
    let arrived = 0
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    let calls = 0
    const cache = httpCache({ dir: tempDir('flood') })
    const app = connect()
    app.use((_req: http.IncomingMessage, _res: http.ServerResponse, next: () => void) => {
      // The cache has seen every request of the burst (synchronously, after this next()) before the origin answers.
      next()
      if (++arrived === burst) release()
    })
    app.use(cache)
    app.use((_req: http.IncomingMessage, res: http.ServerResponse) => {
      calls++
      void released.then(() => { res.setHeader('cache-control', 'max-age=60'); res.end('new') })
    })
    const server = http.createServer(app).listen(0, '127.0.0.1')
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    await cache.purgeTag('ready')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/new`
    const bodies = await Promise.all(Array.from({ length: burst }, () => fetch(url).then((r) => r.text())))
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cache.close()
    assert.deepEqual(bodies, Array(burst).fill('new'))
    assert.equal(calls, 1)
  })

  for (const config of CONFIGS) {
    it(`${config.name}: the hot set keeps ≥ 95 % of its hit ratio under a flood of 50,000 unique URLs`, async (t) => {
      const quiet = await hotSet(config, false)
      const flooded = await hotSet(config, true)
      t.diagnostic(`${config.name}: hot hits ${quiet.hotHits}/${HOT_REQUESTS} (heap tier ${quiet.heapHits}) without the flood, ` +
        `${flooded.hotHits}/${HOT_REQUESTS} (heap tier ${flooded.heapHits}) with it: ${(flooded.hotHits / quiet.hotHits * 100).toFixed(1)} %`)
      assert.ok(flooded.hotHits >= 0.95 * quiet.hotHits, `hot hits ${flooded.hotHits} under the flood against ${quiet.hotHits} without`)
    })
  }
})
