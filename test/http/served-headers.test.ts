/**
 * What a hit sends besides the stored body: Cache-Control as the origin sent
 * it, never the cache's own TTL (RFC 9111 §5.2), and the per-request headers
 * that middleware earlier in the stack set for this request.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, it } from 'node:test'
import { startApp, FRAMEWORKS, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

describe('headers a hit sends', () => {
  for (const framework of FRAMEWORKS) {
    it(`${framework}: overrideCacheControl stores a 'private, no-store' route, but hits still say 'private, no-store'`, async () => {
      const app = await startApp({ '/p': (_req, res) => { res.setHeader('cache-control', 'private, no-store'); res.end('p') } },
        { ttl: 60_000, overrideCacheControl: true }, framework)
      const miss = await rawRequest(`${app.url}/p`)
      assert.equal(miss.headers['cache-control'], 'private, no-store')
      const hit = await rawRequest(`${app.url}/p`)
      assert.ok(isHit(hit), String(hit.headers['cache-status']))
      assert.equal(hit.headers['cache-control'], 'private, no-store', 'the cache advertised its own TTL')
    })
  }

  it('ttl alone: a response that sent no Cache-Control is served with none', async () => {
    const app = await startApp({ '/t': (_req, res) => { res.setHeader('expires', 'Thu, 01 Jan 1970 00:00:00 GMT'); res.end('t') } },
      { ttl: 60_000, overrideCacheControl: true })
    await rawRequest(`${app.url}/t`)
    const hit = await rawRequest(`${app.url}/t`)
    assert.ok(isHit(hit))
    assert.equal(hit.headers['cache-control'], undefined)
    assert.equal(hit.headers.expires, 'Thu, 01 Jan 1970 00:00:00 GMT')
    const plain = await startApp({ '/n': (_req, res) => res.end('n') }, { ttl: 60_000 })
    await rawRequest(`${plain.url}/n`)
    const plainHit = await rawRequest(`${plain.url}/n`)
    assert.ok(isHit(plainHit))
    assert.equal(plainHit.headers['cache-control'], undefined)
  })

  it('a stale entry served while it revalidates does not advertise the TTL either', async () => {
    let now = 1_700_000_000_000
    const app = await startApp({ '/s': (_req, res) => { res.setHeader('cache-control', 'stale-while-revalidate=60'); res.end('s') } },
      { ttl: 10_000, now: () => now })
    await rawRequest(`${app.url}/s`)
    now += 20_000
    const stale = await rawRequest(`${app.url}/s`)
    assert.match(String(stale.headers['cache-status']), /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    assert.equal(stale.headers['cache-control'], 'stale-while-revalidate=60')
  })

  it('hits keep the per-request headers set before the cache (X-Request-Id), and remove none the entry lacks', async () => {
    let request = 0
    const requestId = (_req: IncomingMessage, res: ServerResponse, next: () => void) => {
      request++
      res.setHeader('x-request-id', `req-${request}`)
      if (request > 1) res.setHeader('x-only-later', 'yes')
      next()
    }
    const route: Route = (_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('etag', '"e"')
      res.setHeader('content-type', 'text/plain')
      res.end('body')
    }
    const app = await startApp({ '/r': route }, {}, 'express5', [requestId])
    assert.equal((await rawRequest(`${app.url}/r`)).headers['x-request-id'], 'req-1')
    const hit = await rawRequest(`${app.url}/r`)
    assert.ok(isHit(hit))
    assert.equal(hit.headers['x-request-id'], 'req-2', 'the hit carried the id of the request that filled the entry')
    assert.equal(hit.headers['x-only-later'], 'yes')
    assert.equal(hit.headers['content-type'], 'text/plain')
    const notModified = await rawRequest(`${app.url}/r`, { headers: { 'if-none-match': '"e"' } })
    assert.equal(notModified.status, 304)
    assert.equal(notModified.headers['x-request-id'], 'req-3')
    assert.equal(notModified.headers['x-only-later'], 'yes')
  })
})
