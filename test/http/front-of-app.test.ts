/**
 * `cache.handler(app)`: hits answered on raw node:http before the app sees
 * the request, everything else handed to the app unchanged. The shared
 * suites run this front end as 'handler' (test/helpers/http-apps.ts); these
 * tests cover what is its own.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import express from 'express'
import { httpCache, type HttpCacheMiddleware, type HttpCacheOptions } from '../../middleware/express.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

interface Started { url: string; cache: HttpCacheMiddleware }

async function serve(app: RequestListener, options: Partial<HttpCacheOptions> = {}): Promise<Started> {
  const cache = httpCache({ dir: tempDir('front-of-app'), admission: 'always', ...options })
  const server: Server = createServer(cache.handler(app)).listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  await cache.purgeTag('spillway-test-ready')
  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cache.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, cache }
}

describe('hits served before the app (cache.handler)', () => {
  it('answers a hit without running any of the app: not its first middleware, not its router', async () => {
    const app = express()
    let entered = 0
    let routed = 0
    app.use((_req, _res, next) => { entered++; next() })
    app.get('/page', (_req, res) => {
      routed++
      res.set('cache-control', 'public, max-age=60').type('text/plain').send(`page ${routed}`)
    })
    const { url, cache } = await serve(app as unknown as RequestListener)
    const miss = await rawRequest(`${url}/page`)
    assert.equal(miss.body.toString(), 'page 1')
    assert.match(String(miss.headers['cache-status']), /fwd=uri-miss/)
    const hit = await rawRequest(`${url}/page`)
    assert.equal(hit.body.toString(), 'page 1')
    assert.match(String(hit.headers['cache-status']), /; hit/)
    assert.equal(hit.headers['content-type'], 'text/plain; charset=utf-8')
    assert.equal(hit.headers['x-powered-by'], 'Express', 'what the app sent is what is stored and served')
    assert.deepEqual({ entered, routed }, { entered: 1, routed: 1 })
    assert.equal(cache.stats().hits, 1)
  })

  it('hands a miss to the app with its method, URL and headers as the client sent them', async () => {
    const seen: Array<{ method?: string; url?: string; header?: string | string[] }> = []
    const { url } = await serve((req, res) => {
      seen.push({ method: req.method, url: req.url, header: req.headers['x-request-id'] })
      res.setHeader('content-type', 'text/plain')
      res.end('origin')
    })
    await rawRequest(`${url}/a/b?z=1&a=2`, { headers: { 'x-request-id': 'r1' } })
    await rawRequest(`${url}/form`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } })
    assert.deepEqual(seen, [
      { method: 'GET', url: '/a/b?z=1&a=2', header: 'r1' },
      { method: 'POST', url: '/form', header: undefined },
    ])
  })

  it('does not store what the app\'s error handler sends, and the app keeps answering', async () => {
    const app = express()
    let calls = 0
    app.get('/boom', () => {
      calls++
      throw new Error('route failed')
    })
    const { url } = await serve(app as unknown as RequestListener, { ttl: 60_000 })
    const first = await rawRequest(`${url}/boom`)
    const second = await rawRequest(`${url}/boom`)
    assert.deepEqual([first.status, second.status], [500, 500])
    assert.equal(calls, 2)
  })

  it('an attacker\'s forwarded Host, answered by the app, is never the hit a plain visitor gets', async () => {
    const app = express()
    app.set('trust proxy', true)
    app.get('/login', (req, res) => {
      res.set('cache-control', 'public, max-age=300').send(`<a href="${req.protocol}://${req.hostname}/in">in</a>`)
    })
    const { url } = await serve(app as unknown as RequestListener)
    const attacker = await rawRequest(`${url}/login`, { headers: { 'x-forwarded-host': 'evil.example' } })
    assert.match(attacker.body.toString(), /evil\.example/)
    const again = await rawRequest(`${url}/login`, { headers: { 'x-forwarded-host': 'evil.example' } })
    assert.match(String(again.headers['cache-status']), /; hit/, 'stored under the forwarded Host, for requests that send it')
    const victim = await rawRequest(`${url}/login`)
    assert.equal(victim.body.toString(), '<a href="http://127.0.0.1/in">in</a>')
  })

  // A cache that swallowed the exception would leave the child serving for ever: the time limit fails the test instead.
  it('leaves an exception the app throws uncaught, as it would be with no cache in front', { timeout: 30_000 }, async () => {
    // A plain listener that throws takes its process down without a cache; the cache must not swallow that.
    const script = `
      import { createServer, get } from 'node:http'
      const { httpCache } = await import(${JSON.stringify(new URL('../../middleware/core/http-cache.js', import.meta.url).href)})
      const cache = httpCache({ dir: ${JSON.stringify(tempDir('front-of-app-throw'))} })
      const server = createServer(cache.handler(() => { throw new Error('the app threw') })).listen(0, '127.0.0.1', () => {
        get('http://127.0.0.1:' + server.address().port + '/').on('error', () => {})
      })`
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] })
    after(() => { child.kill('SIGKILL') })
    let stderr = ''
    child.stderr.on('data', (d) => { stderr += d })
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    assert.notEqual(code, 0)
    assert.match(stderr, /the app threw/)
  })
})
