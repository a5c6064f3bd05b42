import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRAMEWORKS, startApp, type Route } from '../helpers/http-apps.js'

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
      await request(app.url).put('/items/1')
      await new Promise((resolve) => setTimeout(resolve, 50))
      // The origin counts calls per path: GET /items/1 was 1, the PUT 2.
      assert.equal((await request(app.url).get('/items/1')).text, 'item n=3', 'PUT invalidated /items/1')
      assert.equal((await request(app.url).get('/items')).text, 'item n=1', '/items untouched')
      await request(app.url).post('/items')
      await new Promise((resolve) => setTimeout(resolve, 50))
      assert.equal((await request(app.url).get('/items')).text, 'item n=3', 'POST invalidated /items')
      assert.equal((await request(app.url).get('/items/1')).text, 'item n=4', 'and its Location, /items/1')
    })

    it('purges by tag (Surrogate-Key, res.locals.cacheTags), by URL and by prefix', async () => {
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
      assert.equal(await app.cache.purgeTag('local-tag'), 1)
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
