import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRAMEWORKS, startApp, type Route } from '../helpers/http-apps.js'

const json = (cacheControl: string | undefined, extra: Record<string, string> = {}): Route => (_req, res, n) => {
  if (cacheControl !== undefined) res.setHeader('cache-control', cacheControl)
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value)
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({ n }))
}

for (const framework of FRAMEWORKS) {
  describe(`freshness (${framework})`, () => {
    it('serves a fresh response from the cache, with Age and Cache-Status, and calls the origin once', async () => {
      let now = 1_700_000_000_000
      const app = await startApp({ '/a': json('public, max-age=60') }, { now: () => now }, framework)
      const first = await request(app.url).get('/a')
      assert.equal(first.status, 200)
      assert.match(first.headers['cache-status'], /^spillway; fwd=uri-miss/)
      now += 10_000
      const second = await request(app.url).get('/a')
      assert.equal(second.status, 200)
      assert.deepEqual(second.body, { n: 1 })
      assert.equal(second.headers.age, '10')
      assert.match(second.headers['cache-status'], /^spillway; hit; ttl=50$/)
      assert.equal(app.originCalls('/a'), 1)
      now += 51_000
      const third = await request(app.url).get('/a')
      assert.deepEqual(third.body, { n: 2 }, 'expired by the injected clock: back to the origin')
      assert.equal(app.originCalls('/a'), 2)
      await app.close()
    })

    it('does not store a response without freshness, unless a default ttl (or one for its status) says so', async () => {
      const routes = {
        '/plain': json(undefined),
        '/missing': ((_req, res) => { res.statusCode = 404; res.end('nope') }) as Route,
      }
      const app = await startApp(routes, {}, framework)
      await request(app.url).get('/plain')
      await request(app.url).get('/plain')
      assert.equal(app.originCalls('/plain'), 2)
      await app.close()

      const withTtl = await startApp(routes, { ttl: 30_000, ttlByStatus: { 404: 5_000 } }, framework)
      await request(withTtl.url).get('/plain')
      await request(withTtl.url).get('/plain')
      assert.equal(withTtl.originCalls('/plain'), 1)
      await request(withTtl.url).get('/missing')
      const missing = await request(withTtl.url).get('/missing')
      assert.equal(missing.status, 404)
      assert.equal(withTtl.originCalls('/missing'), 1)
      await withTtl.close()
    })

    it('leaves the origin\'s own freshness alone unless overrideCacheControl is set', async () => {
      const routes = { '/nocache': json('no-cache') }
      const app = await startApp(routes, { ttl: 30_000 }, framework)
      await request(app.url).get('/nocache')
      await request(app.url).get('/nocache')
      assert.equal(app.originCalls('/nocache'), 2)
      await app.close()
      const forced = await startApp(routes, { ttl: 30_000, overrideCacheControl: true }, framework)
      await request(forced.url).get('/nocache')
      await request(forced.url).get('/nocache')
      assert.equal(forced.originCalls('/nocache'), 1)
      await forced.close()
    })

    it('uses heuristic freshness from Last-Modified unless heuristic: false', async () => {
      const lastModified = new Date(Date.now() - 10 * 24 * 3600_000).toUTCString()
      const routes = { '/lm': json(undefined, { 'last-modified': lastModified }) }
      const off = await startApp(routes, { heuristic: false }, framework)
      await request(off.url).get('/lm')
      const revalidated = await request(off.url).get('/lm')
      assert.equal(off.originCalls('/lm'), 2, 'no freshness: kept for its validator, and revalidated')
      assert.match(revalidated.headers['cache-status'], /fwd=stale/)
      await off.close()
      const on = await startApp(routes, {}, framework)
      await request(on.url).get('/lm')
      await request(on.url).get('/lm')
      assert.equal(on.originCalls('/lm'), 1)
      await on.close()
    })

    it('keys by host and URL, with the query sorted and filtered as configured', async () => {
      const app = await startApp({ '/q': json('max-age=60') }, { queryDeny: ['utm_source'] }, framework)
      await request(app.url).get('/q?b=2&a=1&utm_source=x')
      await request(app.url).get('/q?a=1&b=2')
      assert.equal(app.originCalls('/q'), 1)
      await request(app.url).get('/q?a=1&b=3')
      assert.equal(app.originCalls('/q'), 2)
      await app.close()
    })
  })
}
