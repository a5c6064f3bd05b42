/**
 * cache.stats().responses and .originLatency on every front end: each
 * response counted once, under the outcome its Cache-Status says, and each
 * request sent on to the origin timed once, never a hit. Time for
 * freshness moves on the injected clock `now`.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { ServerResponse } from 'node:http'
import { describe, it } from 'node:test'
import type { HttpCacheStats, HttpOutcome } from '../../middleware/express.js'
import { FRONT_ENDS, startOn, type TestApp } from '../helpers/http-apps.js'
import { rawRequest } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000

const NONE: Record<HttpOutcome, number> = { hit: 0, stale: 0, revalidated: 0, miss: 0, bypass: 0, error: 0 }

/** The outcomes counted (those not named are 0), their sum the responses sent, and origin fetches timed once each. */
function assertCounted(app: TestApp, outcomes: Partial<Record<HttpOutcome, number>>, timed: number): HttpCacheStats {
  const stats = app.cache.stats()
  assert.deepEqual(stats.responses, { ...NONE, ...outcomes })
  assertHistogram(stats)
  assert.equal(stats.originLatency.count, timed, 'origin fetches timed')
  return stats
}

/** A cumulative histogram: counts never fall, and none passes the total. */
function assertHistogram({ originLatency: h }: HttpCacheStats): void {
  assert.equal(h.counts.length, h.le.length)
  for (let i = 1; i < h.counts.length; i++) assert.ok(h.counts[i] >= h.counts[i - 1], `bucket le=${h.le[i]} below the one before`)
  assert.ok(h.counts[h.counts.length - 1] <= h.count)
  assert.ok(h.sum >= 0 && (h.count > 0 || h.sum === 0))
}

const cacheable = (cacheControl: string) => (_req: unknown, res: ServerResponse, n: number) => {
  res.setHeader('cache-control', cacheControl)
  res.end(`body ${n}`)
}

for (const framework of FRONT_ENDS) describe(`HTTP cache stats: responses by outcome and origin latency (${framework})`, () => {
  const start = startOn(framework)

  it('three misses then two hits: miss 3, hit 2, and only the three origin fetches timed', async () => {
    const app = await start({ '/a': cacheable('max-age=60'), '/b': cacheable('max-age=60'), '/c': cacheable('max-age=60') })
    for (const path of ['/a', '/b', '/c']) assert.equal((await rawRequest(app.url + path)).status, 200)
    assertCounted(app, { miss: 3 }, 3)
    for (let i = 0; i < 2; i++) assert.equal((await rawRequest(`${app.url}/a`)).body.toString(), 'body 1')
    const stats = assertCounted(app, { miss: 3, hit: 2 }, 3)
    assert.equal(stats.hits, 2)
    assert.equal(app.originCalls(), 3)
  })

  it('a 304 to the cache\'s revalidation: revalidated, the origin timed for both fetches', async () => {
    let now = T0
    const app = await start({ '/r': (req, res, n) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') {
        res.statusCode = 304
        return void res.end()
      }
      res.end(`body ${n}`)
    } }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 20_000
    const revalidated = await rawRequest(`${app.url}/r`)
    assert.equal(revalidated.status, 200)
    assert.equal(revalidated.body.toString(), 'body 1')
    assert.match(String(revalidated.headers['cache-status']), /fwd-status=304/)
    assertCounted(app, { miss: 1, revalidated: 1 }, 2)
  })

  it('a stale entry served for the origin\'s 500 (stale-if-error): stale, the 500 timed', async () => {
    let now = T0
    const app = await start({ '/e': (_req, res, n) => {
      if (n > 1) {
        res.statusCode = 500
        return void res.end('down')
      }
      res.setHeader('cache-control', 'max-age=10, stale-if-error=600')
      res.end(`body ${n}`)
    } }, { now: () => now })
    await rawRequest(`${app.url}/e`)
    now += 20_000
    const served = await rawRequest(`${app.url}/e`)
    assert.equal(served.status, 200)
    assert.equal(served.body.toString(), 'body 1')
    const stats = assertCounted(app, { miss: 1, stale: 1 }, 2)
    assert.equal(stats.stale, 1)
  })

  it('stale-while-revalidate: stale, and its background refresh a miss of its own', async () => {
    let now = T0
    const app = await start({ '/s': cacheable('max-age=10, stale-while-revalidate=600') }, { now: () => now })
    await rawRequest(`${app.url}/s`)
    now += 20_000
    const refreshed = once(app.cache.events, 'refreshed')
    assert.equal((await rawRequest(`${app.url}/s`)).body.toString(), 'body 1')
    await refreshed
    assertCounted(app, { miss: 2, stale: 1 }, 2)
    assert.equal(app.originCalls('/s'), 2)
  })

  it('credentials and unsafe methods pass through: bypass, and their origin fetches timed', async () => {
    const app = await start({ '/p': cacheable('max-age=60') })
    await rawRequest(`${app.url}/p`, { headers: { authorization: 'Bearer x' } })
    await rawRequest(`${app.url}/p`, { method: 'POST', body: 'x' })
    assertCounted(app, { bypass: 2 }, 2)
    assert.equal(app.originCalls('/p'), 2)
  })

  it('only-if-cached with nothing stored: a miss (504) that never reached the origin, so nothing timed', async () => {
    const app = await start({ '/o': cacheable('max-age=60') })
    assert.equal((await rawRequest(`${app.url}/o`, { headers: { 'cache-control': 'only-if-cached' } })).status, 504)
    assertCounted(app, { miss: 1 }, 0)
    assert.equal(app.originCalls(), 0)
  })

  it('a cache failure (a key function that throws) passes through: error, its origin fetch timed', async () => {
    const app = await start({ '/k': cacheable('max-age=60') }, { key: () => { throw new Error('no key') } })
    assert.equal((await rawRequest(`${app.url}/k`)).body.toString(), 'body 1')
    const stats = assertCounted(app, { error: 1 }, 1)
    assert.equal(stats.errors, 1)
  })

  it('stats() hands out copies: what a caller holds does not move with later traffic', async () => {
    const app = await start({ '/c': cacheable('max-age=60') })
    const before = app.cache.stats()
    await rawRequest(`${app.url}/c`)
    assert.equal(before.responses.miss, 0)
    assert.equal(before.originLatency.count, 0)
    assert.deepEqual(before.originLatency.counts, before.originLatency.le.map(() => 0))
  })
})
