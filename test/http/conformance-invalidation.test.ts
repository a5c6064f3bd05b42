/**
 * RFC 9111 §4.4 (invalidation): the rows of docs/http-conformance.md that had
 * no test (the halves invalidation.test.ts leaves out), one test each, named
 * after its row, on every front end. An invalidation that must not happen is
 * shown by one that must, queued behind it and awaited ('invalidated' event).
 */
import assert from 'node:assert/strict'
import type { EventEmitter } from 'node:events'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

/** Resolves when the cache has invalidated the key of `path` (keys are host + path). */
function invalidated(events: EventEmitter, path: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (key: string) => {
      if (!key.endsWith(path)) return
      events.off('invalidated', on)
      resolve()
    }
    events.on('invalidated', on)
  })
}

/** GET: cached for 10 minutes, with the origin call count in the body; other methods: the status and headers `unsafe` gives. */
const resource = (name: string, unsafe: () => { status: number; headers?: Record<string, string> } = () => ({ status: 204 })): Route => (req, res, n) => {
  if (req.method === 'GET') {
    res.setHeader('cache-control', 'max-age=600')
    return void res.end(`${name} n=${n}`)
  }
  const { status, headers = {} } = unsafe()
  res.writeHead(status, headers)
  res.end()
}

for (const framework of FRONT_ENDS) describe(`RFC 9111 §4.4 invalidation, conformance rows (${framework})`, () => {
  const start = startOn(framework)

  it('9111-4.4-2: only a non-error response (2xx, 3xx) to an unsafe method invalidates: after a 4xx or 5xx the entry is still served', async () => {
    let status = 404
    const app = await start({ '/items/1': resource('item', () => ({ status, headers: status === 303 ? { location: '/items' } : undefined })), '/sentinel': resource('sentinel') })
    assert.equal((await rawRequest(`${app.url}/items/1`)).body.toString(), 'item n=1')
    for (status of [400, 404, 409, 500, 503]) {
      assert.equal((await rawRequest(`${app.url}/items/1`, { method: 'PUT' })).status, status)
      // The PUT that must not invalidate has finished; one that must, sent after it, is awaited.
      const sentinel = invalidated(app.cache.events, '/sentinel')
      await rawRequest(`${app.url}/sentinel`, { method: 'PUT' })
      await sentinel
      const after = await rawRequest(`${app.url}/items/1`)
      assert.equal(after.body.toString(), 'item n=1', `a PUT answered ${status} invalidated the entry`)
      assert.ok(isHit(after), String(after.headers['cache-status']))
    }
    status = 303
    const redirected = invalidated(app.cache.events, '/items/1')
    assert.equal((await rawRequest(`${app.url}/items/1`, { method: 'PUT' })).status, 303)
    await redirected
    assert.notEqual((await rawRequest(`${app.url}/items/1`)).body.toString(), 'item n=1', 'a 3xx is a non-error response: it invalidates')
  })

  it('9111-4.4-3: a Location or Content-Location of another origin (host, port or scheme-relative) is never invalidated, even when its path is cached here', async () => {
    let headers: Record<string, string> = {}
    const app = await start({ '/victim': resource('victim'), '/sentinel': resource('sentinel'), '/a': resource('a', () => ({ status: 201, headers })) })
    const port = new URL(app.url).port
    await rawRequest(`${app.url}/victim`)
    const elsewhere = ['http://elsewhere.test/victim', '//elsewhere.test/victim', `http://127.0.0.1:${Number(port) === 1 ? 2 : 1}/victim`, 'https://evil.test:443/victim']
    for (const location of elsewhere) {
      // Location then Content-Location: the same-origin /sentinel is invalidated after the foreign Location would be.
      headers = { location, 'content-location': '/sentinel' }
      const sentinel = invalidated(app.cache.events, '/sentinel')
      assert.equal((await rawRequest(`${app.url}/a`, { method: 'POST' })).status, 201)
      await sentinel
      const victim = await rawRequest(`${app.url}/victim`)
      assert.equal(victim.body.toString(), 'victim n=1', `Location ${location} invalidated this origin's /victim`)
      assert.ok(isHit(victim), String(victim.headers['cache-status']))
    }
    for (const contentLocation of elsewhere) {
      headers = { 'content-location': contentLocation }
      const own = invalidated(app.cache.events, '/a')
      await rawRequest(`${app.url}/a`, { method: 'POST' })
      await own
      // The POST's own URL goes first; a PUT of /sentinel sent after it is awaited before looking.
      const sentinel = invalidated(app.cache.events, '/sentinel')
      await rawRequest(`${app.url}/sentinel`, { method: 'PUT' })
      await sentinel
      const victim = await rawRequest(`${app.url}/victim`)
      assert.equal(victim.body.toString(), 'victim n=1', `Content-Location ${contentLocation} invalidated this origin's /victim`)
    }
  })
})
