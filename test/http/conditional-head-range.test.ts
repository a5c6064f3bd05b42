import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRAMEWORKS, startApp, type Route } from '../helpers/http-apps.js'

const BODY = 'abcdefghijklmnopqrstuvwxyz'
const doc: Route = (req, res) => {
  res.setHeader('cache-control', 'max-age=60')
  res.setHeader('etag', '"v1"')
  res.setHeader('last-modified', 'Mon, 01 Jan 2024 00:00:00 GMT')
  res.setHeader('content-type', 'text/plain')
  res.end(req.method === 'HEAD' ? undefined : BODY)
}

for (const framework of FRAMEWORKS) {
  describe(`conditional, HEAD and Range requests (${framework})`, () => {
    it('answers If-None-Match and If-Modified-Since with 304 from the cache', async () => {
      const app = await startApp({ '/d': doc }, {}, framework)
      await request(app.url).get('/d')
      const byTag = await request(app.url).get('/d').set('if-none-match', 'W/"v1"')
      assert.equal(byTag.status, 304)
      assert.equal(byTag.text, '')
      const byDate = await request(app.url).get('/d').set('if-modified-since', 'Tue, 02 Jan 2024 00:00:00 GMT')
      assert.equal(byDate.status, 304)
      const changed = await request(app.url).get('/d').set('if-none-match', '"v0"')
      assert.equal(changed.status, 200)
      assert.equal(app.originCalls('/d'), 1)
      await app.close()
    })

    it('answers HEAD from the GET entry, and never stores a HEAD response as the GET', async () => {
      const app = await startApp({ '/d': doc }, {}, framework)
      const head = await request(app.url).head('/d')
      assert.equal(head.status, 200)
      const get = await request(app.url).get('/d')
      assert.equal(get.text, BODY, 'the HEAD response was not stored as the GET entry')
      assert.equal(app.originCalls('/d'), 2)
      const headHit = await request(app.url).head('/d')
      assert.match(headHit.headers['cache-status'], /hit/)
      assert.equal(headHit.headers['content-length'], String(BODY.length))
      assert.equal(app.originCalls('/d'), 2)
      await app.close()
    })

    it('serves byte ranges from the cached body: 206, suffix ranges, 416, and If-Range', async () => {
      const app = await startApp({ '/d': doc }, {}, framework)
      await request(app.url).get('/d')
      const part = await request(app.url).get('/d').set('range', 'bytes=2-5')
      assert.equal(part.status, 206)
      assert.equal(part.text, 'cdef')
      assert.equal(part.headers['content-range'], `bytes 2-5/${BODY.length}`)
      const suffix = await request(app.url).get('/d').set('range', 'bytes=-3')
      assert.equal(suffix.text, 'xyz')
      const beyond = await request(app.url).get('/d').set('range', 'bytes=100-')
      assert.equal(beyond.status, 416)
      assert.equal(beyond.headers['content-range'], `bytes */${BODY.length}`)
      const stale = await request(app.url).get('/d').set('range', 'bytes=0-1').set('if-range', '"v0"')
      assert.equal(stale.status, 200, 'If-Range that does not match gets the whole body')
      assert.equal(stale.text, BODY)
      assert.equal(app.originCalls('/d'), 1)
      await app.close()
    })
  })
}
