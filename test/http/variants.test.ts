import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRAMEWORKS, startApp, type Route } from '../helpers/http-apps.js'

const byLanguage: Route = (req, res) => {
  res.setHeader('cache-control', 'max-age=60')
  res.setHeader('vary', 'Accept-Language')
  res.end(`hello in ${req.headers['accept-language'] ?? 'default'}`)
}

for (const framework of FRAMEWORKS) {
  describe(`Vary (${framework})`, () => {
    it('keeps one variant per value of the request headers named by Vary', async () => {
      const app = await startApp({ '/v': byLanguage }, {}, framework)
      for (const lang of ['en', 'fr', 'en', 'fr']) {
        const res = await request(app.url).get('/v').set('accept-language', lang)
        assert.equal(res.text, `hello in ${lang}`)
      }
      assert.equal(app.originCalls('/v'), 2)
      await app.close()
    })

    it('never stores Vary: *', async () => {
      const app = await startApp({ '/star': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('vary', '*'); res.end('x') } }, {}, framework)
      await request(app.url).get('/star')
      await request(app.url).get('/star')
      assert.equal(app.originCalls('/star'), 2)
      await app.close()
    })

    it('normalises Accept-Encoding, so equivalent lists share a variant', async () => {
      const app = await startApp({ '/e': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('vary', 'accept-encoding'); res.end('body') } }, {}, framework)
      await request(app.url).get('/e').set('accept-encoding', 'gzip, deflate, br')
      await request(app.url).get('/e').set('accept-encoding', 'br,gzip')
      assert.equal(app.originCalls('/e'), 1)
      await request(app.url).get('/e').set('accept-encoding', 'identity')
      assert.equal(app.originCalls('/e'), 2)
      await app.close()
    })
  })
}
