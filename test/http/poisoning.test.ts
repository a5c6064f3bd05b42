/**
 * Web cache poisoning through unkeyed inputs (Kettle, "Practical Web Cache
 * Poisoning", 2018). Each test sends the attacker's request first, then the
 * victim's, and asserts the victim never receives what the attacker caused.
 */
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { after, describe, it } from 'node:test'
import express5 from 'express'
import { httpCache, type HttpCacheMiddleware, type HttpCacheOptions } from '../../middleware/express.js'
import { isHit, rawRequest, rawSocketRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express5

type App = ReturnType<typeof express5>
interface Started { url: string; cache: HttpCacheMiddleware; calls: () => number }

/** An Express app with `trust proxy` on (as Express's docs say behind a load balancer), the cache in front of `routes`. */
async function startTrusting(routes: (app: App, count: () => void) => void, options: Partial<HttpCacheOptions> = {},
  version: 'express5' | 'express4' = 'express5', afterCache?: (app: App) => void): Promise<Started> {
  const app = (version === 'express5' ? express5() : express4()) as App
  app.set('trust proxy', true)
  const cache = httpCache({ dir: tempDir('poison'), admission: 'always', ...options })
  app.use(cache)
  afterCache?.(app)
  let calls = 0
  routes(app, () => { calls++ })
  const server = app.listen(0, '127.0.0.1') as Server
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  await cache.purgeTag('spillway-test-ready')
  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cache.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cache, calls: () => calls }
}

/** The login link the page builds from what Express believes the request's origin is. */
const loginPage = (app: App, count: () => void) => app.get('/page', (req, res) => {
  count()
  res.set('cache-control', 'public, max-age=300')
  res.send(`<a href="${req.protocol}://${req.hostname}/login">log in</a>`)
})

describe('cache poisoning through unkeyed request headers', () => {
  for (const version of ['express5', 'express4'] as const) {
    it(`${version}: X-Forwarded-Host and X-Forwarded-Proto from the attacker never reach a visitor who sent neither`, async () => {
      const app = await startTrusting(loginPage, {}, version)
      const host = new URL(app.url).hostname
      const attacker = await rawRequest(`${app.url}/page`, { headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } })
      assert.match(attacker.body.toString(), /https:\/\/evil\.example\/login/, 'the app believes the forwarded headers')
      const victim = await rawRequest(`${app.url}/page`)
      assert.equal(victim.body.toString(), `<a href="http://${host}/login">log in</a>`)
      const proto = await rawRequest(`${app.url}/page`, { headers: { 'x-forwarded-proto': 'gopher' } })
      assert.match(proto.body.toString(), /gopher:/)
      assert.doesNotMatch((await rawRequest(`${app.url}/page`)).body.toString(), /gopher|evil/)
      // Keyed, not refused: the same forwarded values share an entry.
      const again = await rawRequest(`${app.url}/page`, { headers: { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' } })
      assert.ok(isHit(again), String(again.headers['cache-status']))
      assert.equal(app.calls(), 3)
      // Invalidating the URL reaches the entries of every forwarded value: they are variants under its marker.
      assert.equal(await app.cache.purge('/page', new URL(app.url).host), 1)
      for (const headers of [{ 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }, { 'x-forwarded-proto': 'gopher' }, {}]) {
        const purged = await rawRequest(`${app.url}/page`, { headers })
        assert.ok(!isHit(purged), `${JSON.stringify(headers)}: ${String(purged.headers['cache-status'])}`)
      }
    })
  }

  it('X-Forwarded-Port, X-Forwarded-Prefix and Forwarded, read by the app directly, are keyed too', async () => {
    const app = await startTrusting((a, count) => a.get('/base', (req, res) => {
      count()
      res.set('cache-control', 'public, max-age=300')
      const forwarded = /host=([^;,]+)/.exec(req.get('forwarded') ?? '')?.[1] ?? ''
      res.send(`port=${req.get('x-forwarded-port') ?? ''} prefix=${req.get('x-forwarded-prefix') ?? ''} fwd=${forwarded}`)
    }))
    for (const [name, value] of [['x-forwarded-port', '6666'], ['x-forwarded-prefix', '/evil'], ['forwarded', 'for=1.2.3.4;host=evil.example']]) {
      const attacker = await rawRequest(`${app.url}/base`, { headers: { [name]: value } })
      assert.match(attacker.body.toString(), /6666|\/evil|evil\.example/, name)
      const victim = await rawRequest(`${app.url}/base`)
      assert.equal(victim.body.toString(), 'port= prefix= fwd=', `${name}: the victim got the attacker's page`)
    }
  })

  it('Forwarded is keyed without its for= and by= parameters, so each client behind a proxy does not get an entry of its own', async () => {
    const app = await startTrusting(loginPage)
    await rawRequest(`${app.url}/page`, { headers: { forwarded: 'for=10.0.0.1;proto=https' } })
    const other = await rawRequest(`${app.url}/page`, { headers: { forwarded: 'for=10.0.0.2;proto=https' } })
    assert.ok(isHit(other), String(other.headers['cache-status']))
  })

  it('X-Original-URL and X-Rewrite-URL bypass the cache: a rewritten route is never stored under the URL asked for', async () => {
    const app = await startTrusting((a, count) => {
      a.get('/public', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('public page') })
      a.get('/admin', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('admin page') })
    }, {}, 'express5', (a) => a.use((req, _res, next) => {
      // As frameworks that honour IIS's rewrite headers do.
      const rewritten = req.get('x-original-url') ?? req.get('x-rewrite-url')
      if (rewritten !== undefined) req.url = rewritten
      next()
    }))
    for (const name of ['x-original-url', 'x-rewrite-url']) {
      const attacker = await rawRequest(`${app.url}/public`, { headers: { [name]: '/admin' } })
      assert.equal(attacker.body.toString(), 'admin page')
      assert.match(String(attacker.headers['cache-status']), /fwd=bypass/)
      assert.equal((await rawRequest(`${app.url}/public`)).body.toString(), 'public page', name)
    }
  })

  it('method overrides bypass the cache: a DELETE run through GET is never stored', async () => {
    const app = await startTrusting((a, count) => {
      a.get('/item', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('the item') })
      a.delete('/item', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('deleted') })
    }, {}, 'express5', (a) => a.use((req, _res, next) => {
      // method-override configured for every method, behind the cache.
      const override = req.get('x-http-method-override') ?? req.get('x-http-method') ?? req.get('x-method-override')
      if (override !== undefined) req.method = override.toUpperCase()
      next()
    }))
    for (const name of ['x-http-method-override', 'x-http-method', 'x-method-override']) {
      const attacker = await rawRequest(`${app.url}/item`, { headers: { [name]: 'DELETE' } })
      assert.equal(attacker.body.toString(), 'deleted')
      assert.equal((await rawRequest(`${app.url}/item`)).body.toString(), 'the item', name)
    }
  })

  it('a _method query parameter bypasses the cache, even when queryAllow leaves it out of the key', async () => {
    const app = await startTrusting((a, count) => {
      a.get('/item', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('the item') })
      a.delete('/item', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('deleted') })
    }, { queryAllow: ['page'] }, 'express5', (a) => a.use((req, _res, next) => {
      // method-override(getter = req.query._method), behind the cache.
      const override = new URL(req.url, 'http://x').searchParams.get('_method')
      if (override !== null) req.method = override.toUpperCase()
      next()
    }))
    const attacker = await rawRequest(`${app.url}/item?_method=DELETE`)
    assert.equal(attacker.body.toString(), 'deleted')
    assert.equal((await rawRequest(`${app.url}/item`)).body.toString(), 'the item')
    await rawRequest(`${app.url}/item?payment_method=card`)
    assert.ok(isHit(await rawRequest(`${app.url}/item?payment_method=card`)), 'a parameter that only ends in _method is cached')
  })

  it('a GET with a body bypasses the cache', async () => {
    const app = await startTrusting((a, count) => a.get('/search', (req, res) => {
      count()
      let body = ''
      req.setEncoding('utf8')
      req.on('data', (chunk: string) => { body += chunk })
      req.on('end', () => res.set('cache-control', 'public, max-age=300').send(`results for ${body === '' ? 'everything' : body}`))
    }))
    const attacker = await rawRequest(`${app.url}/search`, { headers: { 'content-type': 'text/plain', 'content-length': 21 }, body: '<script>evil</script>' })
    assert.match(attacker.body.toString(), /evil/)
    assert.match(String(attacker.headers['cache-status']), /fwd=bypass/)
    assert.equal((await rawRequest(`${app.url}/search`)).body.toString(), 'results for everything')
    const chunked = await rawSocketRequest(app.url,
      'GET /search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nevil2\r\n0\r\n\r\n')
    assert.match(chunked, /evil2/)
    assert.doesNotMatch((await rawRequest(`${app.url}/search`)).body.toString(), /evil/)
  })

  it('an absolute-form target bypasses the cache', async () => {
    const app = await startTrusting((a, count) => a.get('/abs', (req, res) => {
      count()
      res.set('cache-control', 'public, max-age=300').send(`target ${req.originalUrl}`)
    }))
    const { host } = new URL(app.url)
    const first = await rawSocketRequest(app.url, `GET http://evil.example/abs HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    assert.match(first, /cache-status: [^\r]*fwd=bypass/i)
    const second = await rawSocketRequest(app.url, `GET http://evil.example/abs HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    assert.doesNotMatch(second, /cache-status: [^\r]*hit/i)
    assert.equal(app.calls(), 2)
  })

  it('a duplicated Host bypasses the cache', async () => {
    // The route believes the last Host, as some proxies and frameworks do; Node keeps the first.
    const app = await startTrusting((a, count) => a.get('/dup', (req, res) => {
      count()
      const hosts = req.rawHeaders.filter((_v, i) => i % 2 === 0 && req.rawHeaders[i].toLowerCase() === 'host').length
      const last = req.rawHeaders.filter((_v, i) => i % 2 === 1 && req.rawHeaders[i - 1].toLowerCase() === 'host').at(-1)
      res.set('cache-control', 'public, max-age=300').send(`hosts=${hosts} link=http://${last}/`)
    }))
    const { host } = new URL(app.url)
    const attacker = await rawSocketRequest(app.url, `GET /dup HTTP/1.1\r\nHost: ${host}\r\nHost: evil.example\r\nConnection: close\r\n\r\n`)
    assert.match(attacker, /evil\.example/)
    const victim = await rawRequest(`${app.url}/dup`)
    assert.equal(victim.body.toString(), `hosts=1 link=http://${host}/`)
  })

  it('an invalid Host never builds a key: Host "victim.test/admin" plus /public is not victim.test plus /admin/public', async () => {
    const app = await startTrusting((a, count) => {
      a.get('/public', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('public page') })
      a.get('/admin/public', (_req, res) => { count(); res.set('cache-control', 'public, max-age=300').send('admin notice') })
    })
    const attacker = await rawSocketRequest(app.url, 'GET /public HTTP/1.1\r\nHost: victim.test/admin\r\nConnection: close\r\n\r\n')
    assert.match(attacker, /public page/)
    assert.match(attacker, /cache-status: [^\r]*fwd=bypass/i)
    const victim = await rawRequest(`${app.url}/admin/public`, { headers: { host: 'victim.test' } })
    assert.equal(victim.body.toString(), 'admin notice')
    // Nor does an invalid Host purge anything through an unsafe method.
    await rawRequest(`${app.url}/admin/public`, { headers: { host: 'victim.test' } })
    await rawSocketRequest(app.url, 'POST /public HTTP/1.1\r\nHost: victim.test/admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
    assert.ok(isHit(await rawRequest(`${app.url}/admin/public`, { headers: { host: 'victim.test' } })))
  })

  it("forwardedHeaders: 'bypass' refuses every request that carries one; 'ignore' restores the old unkeyed behaviour", async () => {
    const bypassing = await startTrusting(loginPage, { forwardedHeaders: 'bypass' })
    const refused = await rawRequest(`${bypassing.url}/page`, { headers: { 'x-forwarded-host': 'evil.example' } })
    assert.match(String(refused.headers['cache-status']), /fwd=bypass; detail="x-forwarded-host"/)
    assert.doesNotMatch((await rawRequest(`${bypassing.url}/page`)).body.toString(), /evil/)
    const ignoring = await startTrusting(loginPage, { forwardedHeaders: 'ignore' })
    await rawRequest(`${ignoring.url}/page`)
    assert.ok(isHit(await rawRequest(`${ignoring.url}/page`, { headers: { 'x-forwarded-port': '443' } })))
    assert.throws(() => httpCache({ dir: tempDir('poison'), forwardedHeaders: 'sometimes' as 'key' }), /httpCache options\.forwardedHeaders must be/)
  })

  it('a request from a peer the app does not trust is keyed apart from the same headers through a trusted proxy', async () => {
    // trust proxy: only 10.0.0.0/8. The test client (127.0.0.1) is not trusted, so the app ignores X-Forwarded-Host.
    const app = express5()
    app.set('trust proxy', '10.0.0.0/8')
    let seen = ''
    const cache = httpCache({ dir: tempDir('poison'), admission: 'always', trustProxy: (address) => address === seen })
    app.use(cache)
    app.get('/page', (req, res) => { res.set('cache-control', 'public, max-age=300').send(`host=${req.hostname}`) })
    const server = app.listen(0, '127.0.0.1') as Server
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    after(async () => { server.closeAllConnections(); await new Promise<void>((resolve) => server.close(() => resolve())); await cache.close() })
    await cache.purgeTag('spillway-test-ready')
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/page`
    const direct = await rawRequest(url, { headers: { 'x-forwarded-host': 'www.example' } })
    assert.equal(direct.body.toString(), 'host=127.0.0.1')
    seen = '127.0.0.1'
    const viaProxy = await rawRequest(url, { headers: { 'x-forwarded-host': 'www.example' } })
    assert.ok(!isHit(viaProxy), 'a trusted peer must not get what an untrusted one stored')
  })
})
