import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'

const cacheable: Route = (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) }

for (const framework of FRONT_ENDS) describe(`safe by default (${framework})`, () => {
  const start = startOn(framework)
  it('does not store responses to requests with Authorization or Cookie, unless allowed', async () => {
    const app = await start({ '/a': cacheable })
    await request(app.url).get('/a').set('authorization', 'Bearer x')
    await request(app.url).get('/a').set('authorization', 'Bearer x')
    await request(app.url).get('/a').set('cookie', 'session=1')
    assert.equal(app.originCalls('/a'), 3)
    const bypass = await request(app.url).get('/a').set('cookie', 'session=1')
    assert.match(bypass.headers['cache-status'], /fwd=bypass/)
    await app.close()
    const allowed = await start({ '/a': (_req, res) => { res.setHeader('cache-control', 'public, max-age=60'); res.end('ok') } }, { allowAuthorization: true, allowCookies: true })
    await request(allowed.url).get('/a').set('cookie', 'session=1')
    await request(allowed.url).get('/a').set('cookie', 'session=1')
    assert.equal(allowed.originCalls('/a'), 1)
    await allowed.close()
  })

  it('does not store Set-Cookie, private or no-store responses', async () => {
    const app = await start({
      '/cookie': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('set-cookie', 'a=1'); res.end('c') },
      '/private': (_req, res) => { res.setHeader('cache-control', 'private, max-age=60'); res.end('p') },
      '/nostore': (_req, res) => { res.setHeader('cache-control', 'no-store'); res.end('n') },
    }, { ttl: 60_000 })
    for (const path of ['/cookie', '/private', '/nostore']) {
      await request(app.url).get(path)
      await request(app.url).get(path)
      assert.equal(app.originCalls(path), 2, path)
    }
    await app.close()
  })

  it('stores private responses in private mode', async () => {
    const app = await start({ '/private': (_req, res) => { res.setHeader('cache-control', 'private, max-age=60'); res.end('p') } }, { private: true })
    await request(app.url).get('/private')
    await request(app.url).get('/private')
    assert.equal(app.originCalls('/private'), 1)
    await app.close()
  })

  it('strips hop-by-hop headers from what it stores and serves', async () => {
    const app = await start({ '/h': (_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('connection', 'x-private-hop')
      res.setHeader('x-private-hop', 'secret')
      res.setHeader('x-kept', 'yes')
      res.end('h')
    } })
    await request(app.url).get('/h')
    const hit = await request(app.url).get('/h')
    assert.match(hit.headers['cache-status'], /hit/)
    assert.equal(hit.headers['x-private-hop'], undefined)
    assert.equal(hit.headers['x-kept'], 'yes')
    await app.close()
  })
})
