/**
 * stats().originLatency against a clock the test moves (the `originClock`
 * seam of httpCache): each origin response lands in the bucket of the time
 * the route took, whichever way it sends its head (writeHead, write, or
 * Express's res.send going straight to end), once, and a response the cache
 * answers in the origin's place is never timed as the origin's.
 */
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import express, { type RequestHandler } from 'express'
import { httpCache } from '../../middleware/core/http-cache.js'
import type { HttpCacheOptions } from '../../middleware/core/options.js'
import type { OriginLatency } from '../../middleware/express.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

const T0 = 1_700_000_000_000

interface LatencyApp {
  url: string
  latency(): OriginLatency
  /** The origin clock, in ms: a route moves it to take time. */
  clock: { ms: number }
  /** The freshness clock. */
  now: { ms: number }
}

async function startLatencyApp(routes: Record<string, RequestHandler>, options: Partial<HttpCacheOptions> = {}): Promise<LatencyApp> {
  const clock = { ms: 1000 }
  const now = { ms: T0 }
  const cache = httpCache({ dir: tempDir('metrics'), admission: 'always', now: () => now.ms, ...options }, { originClock: () => clock.ms })
  const app = express()
  app.use(cache)
  for (const [path, route] of Object.entries(routes)) app.get(path, route)
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cache.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, latency: () => cache.stats().originLatency, clock, now }
}

/** The cumulative counts a histogram has after observing `seconds`, one each. */
function countsFor(le: readonly number[], seconds: number[]): number[] {
  return le.map((bound) => seconds.filter((s) => s <= bound).length)
}

describe('HTTP cache stats: the origin latency histogram', () => {
  it('puts a fetch in the bucket of the time the route took, and a hit in none', async () => {
    const app = await startLatencyApp({ '/slow': (_req, res) => {
      app.clock.ms += 300
      res.set('cache-control', 'max-age=60').send('slow')
    } })
    await rawRequest(`${app.url}/slow`)
    let h = app.latency()
    assert.deepEqual(h.counts, countsFor(h.le, [0.3]))
    assert.equal(h.count, 1)
    assert.ok(Math.abs(h.sum - 0.3) < 1e-9)
    const hit = await rawRequest(`${app.url}/slow`)
    assert.match(String(hit.headers['cache-status']), /hit/)
    h = app.latency()
    assert.equal(h.count, 1, 'a hit is not an origin fetch')
    assert.deepEqual(h.counts, countsFor(h.le, [0.3]))
  })

  it('times a head sent by the first write, and one past the last bucket only in +Inf', async () => {
    const app = await startLatencyApp({
      '/stream': (_req, res) => {
        app.clock.ms += 2000
        res.write('part ')
        res.end('two')
      },
      '/glacial': (_req, res) => {
        app.clock.ms += 60_000
        res.end('late')
      },
    })
    assert.equal((await rawRequest(`${app.url}/stream`)).body.toString(), 'part two')
    await rawRequest(`${app.url}/glacial`)
    const h = app.latency()
    assert.deepEqual(h.counts, countsFor(h.le, [2, 60]))
    assert.equal(h.counts[h.counts.length - 1], 1, '60 s is past the last bucket (10 s)')
    assert.equal(h.count, 2)
    assert.ok(Math.abs(h.sum - 62) < 1e-9)
  })

  it('times a 304 the cache holds (res.status(304).end(), no writeHead) once, not again as the cache answers', async () => {
    const app = await startLatencyApp({ '/etag': (req, res) => {
      res.set('cache-control', 'max-age=10').set('etag', '"e1"')
      if (req.headers['if-none-match'] === '"e1"') {
        app.clock.ms += 40
        return void res.status(304).end()
      }
      app.clock.ms += 7
      res.send('tagged')
    } })
    await rawRequest(`${app.url}/etag`)
    app.now.ms += 20_000
    const revalidated = await rawRequest(`${app.url}/etag`)
    assert.equal(revalidated.body.toString(), 'tagged')
    const h = app.latency()
    assert.deepEqual(h.counts, countsFor(h.le, [0.007, 0.04]))
    assert.equal(h.count, 2)
  })

  it('an origin the cache stopped waiting for (originTimeoutMs, a stale entry served) is not timed, nor is its late answer', async () => {
    let release: (() => void) | undefined
    let calls = 0
    const app = await startLatencyApp({ '/hang': (_req, res) => {
      calls++
      if (calls === 1) return void res.set('cache-control', 'max-age=10').send('first')
      // Answers only when the test says, after the client has the stale entry.
      release = () => {
        app.clock.ms += 5000
        res.set('cache-control', 'max-age=10').send('late')
      }
    } }, { useStaleOnError: 600, originTimeoutMs: 50 })
    await rawRequest(`${app.url}/hang`)
    app.now.ms += 20_000
    const stale = await rawRequest(`${app.url}/hang`)
    assert.equal(stale.body.toString(), 'first')
    assert.match(String(stale.headers['cache-status']), /origin-timeout/)
    assert.equal(app.latency().count, 1, 'only the first fetch')
    release!()
    assert.equal(app.latency().count, 1, 'the late answer goes nowhere and is not timed')
  })
})
