import assert from 'node:assert/strict'
import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import request from 'supertest'
import { FRAMEWORKS, startApp, type Route } from '../helpers/http-apps.js'
import { httpCache, type HttpCacheControls } from '../../middleware/core/http-cache.js'
import { tempDir } from '../helpers/temp-dir.js'

/** Resolves when a POST's two invalidations (its URL, its Location) are done. */
function invalidatedBoth(cache: HttpCacheControls): Promise<unknown> {
  return new Promise((resolve) => {
    let seen = 0
    const on = () => {
      if (++seen < 2) return
      cache.events.off('invalidated', on)
      resolve(undefined)
    }
    cache.events.on('invalidated', on)
  })
}

const item: Route = (req, res, n) => {
  if (req.method === 'GET') {
    res.setHeader('cache-control', 'max-age=600')
    res.setHeader('surrogate-key', 'items item-1')
    res.end(`item n=${n}`)
    return
  }
  res.statusCode = req.method === 'POST' ? 201 : 204
  if (req.method === 'POST') res.setHeader('location', '/items/1')
  res.end()
}

for (const framework of FRAMEWORKS) {
  describe(`invalidation (${framework})`, () => {
    it('a successful unsafe method invalidates its URL and a same-origin Location', async () => {
      const app = await startApp({ '/items/1': item, '/items': item }, {}, framework)
      await request(app.url).get('/items/1')
      await request(app.url).get('/items')
      let invalidated: Promise<unknown> = once(app.cache.events, 'invalidated')
      await request(app.url).put('/items/1')
      await invalidated
      // The origin counts calls per path: GET /items/1 was 1, the PUT 2.
      assert.equal((await request(app.url).get('/items/1')).text, 'item n=3', 'PUT invalidated /items/1')
      assert.equal((await request(app.url).get('/items')).text, 'item n=1', '/items untouched')
      invalidated = invalidatedBoth(app.cache)
      await request(app.url).post('/items')
      await invalidated
      assert.equal((await request(app.url).get('/items')).text, 'item n=3', 'POST invalidated /items')
      assert.equal((await request(app.url).get('/items/1')).text, 'item n=4', 'and its Location, /items/1')
    })

    // res.locals.cacheTags is Express's and Connect's: under argo the route runs in another server than the cache
    // (test/argo/hits-and-misses.test.ts purges by Surrogate-Key, URL and prefix through argo).
    it('purges by tag (Surrogate-Key, res.locals.cacheTags), by URL and by prefix', { skip: framework === 'argo' && 'res.locals is not argo\'s' }, async () => {
      const app = await startApp({
        '/items/1': item,
        '/local': ((_req, res, n) => {
          (res as typeof res & { locals: { cacheTags: string[] } }).locals = { cacheTags: ['local-tag'] }
          res.setHeader('cache-control', 'max-age=600')
          res.end(`local n=${n}`)
        }) as Route,
        '/other': ((_req, res, n) => { res.setHeader('cache-control', 'max-age=600'); res.end(`other n=${n}`) }) as Route,
      }, {}, framework)
      const host = new URL(app.url).host
      for (const path of ['/items/1', '/local', '/other']) await request(app.url).get(path)
      assert.equal(await app.cache.purgeTag('item-1'), 1)
      // res.locals is the cache's own process's: a proxy's origin, in another, can tag only through Surrogate-Key.
      assert.equal(await app.cache.purgeTag('local-tag'), framework === 'proxy' ? 0 : 1)
      assert.equal(await app.cache.purge('/other', host), 1)
      await request(app.url).get('/items/1')
      await request(app.url).get('/other')
      assert.equal(app.originCalls('/items/1'), 2)
      assert.equal(app.originCalls('/other'), 2)
      assert.ok(await app.cache.purgePrefix(`${host}/items`) >= 1)
      await request(app.url).get('/items/1')
      assert.equal(app.originCalls('/items/1'), 3)
    })
  })
}

describe('URL invalidation computes its keys: no per-URL tag (issue 9 §1)', () => {
  const byLanguage: Route = (req, res, n) => {
    if (req.method !== 'GET') { res.statusCode = 204; res.end(); return }
    res.setHeader('cache-control', 'max-age=600')
    res.setHeader('vary', 'Accept-Language')
    res.end(`${req.headers['accept-language']} n=${n}`)
  }
  const get = (url: string, lang: string) => request(url).get('/v').set('host', 'cache.test').set('accept-language', lang).then((r) => r.text)

  it('an unsafe method invalidates every variant of its URL, and no entry carries a url: tag', async () => {
    const app = await startApp({ '/v': byLanguage })
    assert.equal(await get(app.url, 'en'), 'en n=1')
    assert.equal(await get(app.url, 'fr'), 'fr n=2')
    assert.equal(await get(app.url, 'fr'), 'fr n=2')
    assert.equal(await app.cache.purgeTag('url:cache.test/v'), 0)
    const invalidated = once(app.cache.events, 'invalidated')
    await request(app.url).put('/v').set('host', 'cache.test')
    await invalidated
    assert.equal(await get(app.url, 'fr'), 'fr n=4')
    assert.equal(await get(app.url, 'en'), 'en n=5')
    assert.equal(await get(app.url, 'en'), 'en n=5')
  })

  it('purge(url, host) drops every variant, also after a restart', async () => {
    const dir = tempDir('http-restart')
    const first = await startApp({ '/v': byLanguage }, { dir })
    await get(first.url, 'en')
    await get(first.url, 'fr')
    await first.close()
    const second = await startApp({ '/v': byLanguage }, { dir })
    assert.equal(await get(second.url, 'en'), 'en n=1', 'the variant survived the restart')
    assert.equal(await get(second.url, 'fr'), 'fr n=2')
    assert.equal(await second.cache.purge('/v', 'cache.test'), 1)
    assert.equal(await get(second.url, 'fr'), 'fr n=1', 'the fr variant went with the URL')
    assert.equal(await get(second.url, 'en'), 'en n=2', 'and so did en')
    assert.equal(second.originCalls('/v'), 2)
  })
})

describe('request inputs keyed as if varied on (the requestSuffix seam)', () => {
  it('a URL invalidation also covers the variants of requests with a suffix (forwarded headers)', async () => {
    const cache = httpCache({ dir: tempDir('http-suffix') }, { requestSuffix: (req) => String(req.headers['x-forwarded-host'] ?? '') })
    let calls = 0
    const server = http.createServer((req, res) => cache(req, res, () => {
      calls++
      if (req.method !== 'GET') { res.statusCode = 204; res.end(); return }
      res.setHeader('cache-control', 'max-age=600')
      res.end(`${req.headers['x-forwarded-host'] ?? 'direct'} n=${calls}`)
    }))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    after(async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cache.close()
    })
    await cache.purgeTag('ready')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const get = (fwd?: string) => request(url).get('/s').set(fwd === undefined ? {} : { 'x-forwarded-host': fwd }).then((r) => r.text)
    assert.equal(await get(), 'direct n=1')
    assert.equal(await get('a.example'), 'a.example n=2')
    assert.equal(await get('a.example'), 'a.example n=2', 'the forwarded variant is a hit')
    assert.equal(await get(), 'direct n=3', 'the marker replaced the plain entry once')
    assert.equal(await get(), 'direct n=3')
    assert.equal(await get('b.example'), 'b.example n=4')
    const invalidated = once(cache.events, 'invalidated')
    await request(url).put('/s')
    await invalidated
    assert.equal(await get('a.example'), 'a.example n=6')
    assert.equal(await get('b.example'), 'b.example n=7')
    assert.equal(await get(), 'direct n=8')
  })
})
