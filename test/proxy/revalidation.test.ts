/**
 * The cache's own requests through the proxy (API, injected clock): a
 * stale-while-revalidate refresh is a request to the proxy itself, which
 * must reach the origin without the cache's marker field; and a stale entry
 * with a validator is revalidated with a conditional request whose 304
 * renews it.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { IncomingHttpHeaders } from 'node:http'
import { describe, it } from 'node:test'
import { createCachingProxy } from '../../middleware/proxy.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startOrigin } from './proxy-process.js'

describe('revalidation through the proxy', () => {
  it('stale-while-revalidate: the stale entry at once, one refresh through the proxy to the origin, then the new entry', async () => {
    const seen: IncomingHttpHeaders[] = []
    const origin = await startOrigin({ '/swr': (req, res, n) => {
      seen.push(req.headers)
      res.setHeader('cache-control', 'max-age=10, stale-while-revalidate=60')
      res.end(`v${n}`)
    } })
    let now = 1_700_000_000_000
    const proxy = createCachingProxy({ target: origin.url, dir: tempDir('proxy-swr'), admission: 'always', now: () => now })
    const listening = await proxy.listen(0)
    try {
      assert.equal((await rawRequest(`${listening.url}/swr`)).body.toString(), 'v1')
      now += 20_000
      const refreshed = once(proxy.events, 'refreshed')
      const stale = await rawRequest(`${listening.url}/swr`)
      assert.equal(stale.body.toString(), 'v1')
      assert.match(String(stale.headers['cache-status']), /hit; ttl=-\d+; detail="stale-while-revalidate"/)
      await refreshed
      const fresh = await rawRequest(`${listening.url}/swr`)
      assert.ok(isHit(fresh))
      assert.equal(fresh.body.toString(), 'v2')
      assert.equal(origin.calls('/swr'), 2)
      assert.ok(seen.every((h) => h['x-spillway-refresh'] === undefined), 'the cache\'s refresh marker reached the origin')
    } finally {
      await listening.close(0)
    }
  })

  it('a stale entry with an ETag: a conditional request, and the origin\'s 304 renews the entry', async () => {
    const conditions: Array<string | undefined> = []
    const origin = await startOrigin({ '/etag': (req, res, n) => {
      conditions.push(req.headers['if-none-match'])
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"e1"')
      if (req.headers['if-none-match'] === '"e1"') {
        res.statusCode = 304
        return void res.end()
      }
      res.end(`body ${n}`)
    } })
    let now = 1_700_000_000_000
    const proxy = createCachingProxy({ target: origin.url, dir: tempDir('proxy-etag'), admission: 'always', now: () => now })
    const listening = await proxy.listen(0)
    try {
      assert.equal((await rawRequest(`${listening.url}/etag`)).body.toString(), 'body 1')
      now += 20_000
      const renewed = await rawRequest(`${listening.url}/etag`)
      assert.equal(renewed.status, 200)
      assert.equal(renewed.body.toString(), 'body 1')
      assert.deepEqual(conditions, [undefined, '"e1"'])
      const hit = await rawRequest(`${listening.url}/etag`)
      assert.ok(isHit(hit), String(hit.headers['cache-status']))
      assert.equal(origin.calls('/etag'), 2)
    } finally {
      await listening.close(0)
    }
  })
})
