/**
 * Serving from the cache, as RFC 9110 and RFC 9111 ask of a shared cache
 * (issue 13; docs/http-conformance.md, each test named after its row):
 * conditional requests answered from a stored response (§13, RFC 9111
 * §4.3.2), what a 304 carries (RFC 9110 §15.4.5), If-Range (§13.1.5), which
 * stored response a 304 updates (RFC 9111 §4.3.4) and the Cache-Status field
 * (RFC 9211). Raw requests throughout: a client library could add, merge or
 * drop the very fields under test.
 */
import assert from 'node:assert/strict'
import type { ServerResponse } from 'node:http'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn, type Framework, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest, type RawResponse } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { httpCache, type HttpCacheOptions } from '../../middleware/express.js'
import { createCachingProxy } from '../../middleware/proxy.js'
import { argoCache } from '../../middleware/argo.js'

/** A whole second, so its HTTP-date reads back to the same instant. */
const T0 = 1_700_000_000_000
const BODY = 'abcdefghijklmnopqrstuvwxyz'
const date = (ms: number) => new Date(ms).toUTCString()

/** The Cache-Status members (RFC 9211 §2: a list, one member per cache) as sent, one string each. */
function members(res: RawResponse): string[] {
  return String(res.headers['cache-status'] ?? '').split(',').map((m) => m.trim()).filter((m) => m !== '')
}

/** Makes each front end's cache object from `options`, as its users would; closes what it made. */
async function construct(framework: Framework, options: Partial<HttpCacheOptions>): Promise<void> {
  const dir = tempDir('conformance-options')
  const made = framework === 'proxy' ? createCachingProxy({ target: 'http://127.0.0.1:9', dir, ...options })
    : framework === 'argo' ? argoCache({ dir, ...options })
      : httpCache({ dir, ...options })
  await made.close()
}

for (const framework of FRONT_ENDS) describe(`serving from the cache, per RFC 9110 and 9111 (${framework})`, () => {
  const start = startOn(framework)

  it('9111-4.3.2-6: If-Modified-Since against a stored response without Last-Modified is judged by its Date, else by when it was stored', async () => {
    const now = T0
    const app = await start({
      '/dated': (_req, res) => {
        res.setHeader('cache-control', 'max-age=600')
        res.setHeader('date', date(T0 - 60_000))
        res.end(BODY)
      },
      '/undated': (_req, res) => {
        res.sendDate = false
        res.setHeader('cache-control', 'max-age=600')
        res.end(BODY)
      },
    }, { now: () => now })
    for (const path of ['/dated', '/undated']) {
      assert.equal((await rawRequest(`${app.url}${path}`)).status, 200)
      assert.ok(isHit(await rawRequest(`${app.url}${path}`)), `${path} is stored`)
    }
    const dated = (since: number) => rawRequest(`${app.url}/dated`, { headers: { 'if-modified-since': date(since) } })
    const notModified = await dated(T0 - 60_000)
    assert.equal(notModified.status, 304, 'not modified since its Date')
    assert.equal(notModified.body.length, 0)
    assert.equal((await dated(T0 - 61_000)).status, 200, 'a date before the stored Date gets the body')
    const undated = (since: number) => rawRequest(`${app.url}/undated`, { headers: { 'if-modified-since': date(since) } })
    assert.equal((await undated(T0)).status, 304, 'not modified since it was stored')
    assert.equal((await undated(T0 - 1000)).status, 200, 'a date before it was stored gets the body')
    assert.equal((await rawRequest(`${app.url}/dated`, { headers: { 'if-modified-since': '2099' } })).status, 200, 'not an HTTP-date: ignored')
    assert.equal(app.originCalls(), 2)
  })

  it('9110-15.4.5-2: a 304 from the cache carries no representation metadata but Content-Location, and no Content-Length', async () => {
    const app = await start({ '/doc': (_req, res) => {
      res.setHeader('cache-control', 'max-age=600')
      res.setHeader('etag', '"v1"')
      res.setHeader('content-type', 'text/plain; charset=utf-8')
      res.setHeader('content-language', 'en')
      res.setHeader('content-disposition', 'inline; filename="doc.txt"')
      res.setHeader('content-location', '/doc.txt')
      res.setHeader('x-kept', 'yes')
      res.end(BODY)
    } })
    await rawRequest(`${app.url}/doc`)
    const res = await rawRequest(`${app.url}/doc`, { headers: { 'if-none-match': '"v1"' } })
    assert.equal(res.status, 304)
    for (const name of ['content-type', 'content-language', 'content-disposition', 'content-length', 'content-encoding', 'content-range']) {
      assert.equal(res.headers[name], undefined, `${name} on a 304`)
    }
    assert.equal(res.headers['content-location'], '/doc.txt')
    assert.equal(res.headers.etag, '"v1"')
    assert.equal(res.headers['cache-control'], 'max-age=600')
    const full = await rawRequest(`${app.url}/doc`)
    assert.equal(full.headers['content-language'], 'en', 'the 200 keeps them all')
    assert.equal(full.headers['content-disposition'], 'inline; filename="doc.txt"')
    assert.equal(app.originCalls('/doc'), 1)
  })

  it('9110-13.1.5-2: If-Range with a date sends the range only for a strong Last-Modified it matches exactly; an entity-tag matches by strong comparison', async () => {
    const stored = (headers: Record<string, string>): Route => (_req, res) => {
      res.setHeader('cache-control', 'max-age=600')
      res.setHeader('date', date(T0))
      for (const [name, value] of Object.entries(headers)) res.setHeader(name, value)
      res.end(BODY)
    }
    const app = await start({
      // Modified in the second of its Date: it may have changed twice in that second, so the date is weak (RFC 9110 §8.8.2.2).
      '/weak-date': stored({ 'last-modified': date(T0) }),
      '/strong-date': stored({ 'last-modified': date(T0 - 1000) }),
      '/weak-tag': stored({ etag: 'W/"w"' }),
      '/strong-tag': stored({ etag: '"s"' }),
    }, { now: () => T0 })
    const paths = ['/weak-date', '/strong-date', '/weak-tag', '/strong-tag']
    for (const path of paths) await rawRequest(`${app.url}${path}`)
    const ranged = (path: string, ifRange: string) => rawRequest(`${app.url}${path}`, { headers: { range: 'bytes=0-3', 'if-range': ifRange } })
    const cases: Array<[string, string, number]> = [
      ['/weak-date', date(T0), 200],
      ['/strong-date', date(T0 - 1000), 206],
      ['/strong-date', date(T0), 200],
      ['/strong-date', date(T0 - 2000), 200],
      ['/weak-tag', 'W/"w"', 200],
      ['/weak-tag', '"w"', 200],
      ['/strong-tag', '"s"', 206],
      ['/strong-tag', 'W/"s"', 200],
    ]
    for (const [path, ifRange, status] of cases) {
      const res = await ranged(path, ifRange)
      assert.equal(res.status, status, `${path} with If-Range ${ifRange}`)
      assert.equal(res.body.toString(), status === 206 ? 'abcd' : BODY)
    }
    for (const path of paths) assert.equal(app.originCalls(path), 1)
  })

  it('9111-4.3.4-1: a 304 updates the stored response only when its validators select it (strong by strong comparison, weak by weak, none only for none)', async () => {
    let now = T0
    /** A route whose first response carries `stored`, and whose 304s carry `validators` and a longer freshness. */
    const revalidated = (stored: Record<string, string>, validators: Record<string, string>): Route => (req, res) => {
      if (req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined) {
        res.statusCode = 304
        res.setHeader('cache-control', 'max-age=3600')
        for (const [name, value] of Object.entries(validators)) res.setHeader(name, value)
        res.end()
        return
      }
      res.setHeader('cache-control', 'max-age=10')
      for (const [name, value] of Object.entries(stored)) res.setHeader(name, value)
      res.end(BODY)
    }
    const LM = date(T0 - 3_600_000)
    const cases: Array<[string, Record<string, string>, Record<string, string>, boolean]> = [
      ['/strong-for-weak', { etag: 'W/"a"' }, { etag: '"a"' }, false],
      ['/none-for-tag', { etag: '"a"' }, {}, false],
      ['/none-for-date', { 'last-modified': LM }, {}, false],
      ['/weak-for-strong', { etag: '"a"' }, { etag: 'W/"a"' }, true],
      ['/strong-for-strong', { etag: '"a"' }, { etag: '"a"' }, true],
      ['/weak-for-weak', { etag: 'W/"a"' }, { etag: 'W/"a"' }, true],
      ['/date-for-date', { 'last-modified': LM }, { 'last-modified': LM }, true],
      ['/other-date', { 'last-modified': LM }, { 'last-modified': date(T0) }, false],
    ]
    const app = await start(Object.fromEntries(cases.map(([path, stored, validators]) => [path, revalidated(stored, validators)])), { now: () => now })
    for (const [path] of cases) await rawRequest(`${app.url}${path}`)
    now += 60_000
    for (const [path] of cases) {
      const res = await rawRequest(`${app.url}${path}`)
      assert.equal(res.status, 200, `${path}: the stored response answers the unconditional client`)
      assert.equal(res.body.toString(), BODY)
      assert.equal(app.originCalls(path), 2)
    }
    now += 60_000
    for (const [path, , , selects] of cases) {
      const res = await rawRequest(`${app.url}${path}`)
      assert.equal(res.body.toString(), BODY)
      assert.equal(isHit(res) && app.originCalls(path) === 2, selects,
        `${path}: ${selects ? 'the 304 should have renewed the entry' : 'the 304 renewed an entry it does not select'} (${String(res.headers['cache-status'])})`)
    }
  })

  it('9211-2-1: on a miss, spillway\'s Cache-Status member follows those the response already carries; its own answers carry it once', async () => {
    let now = T0
    let down = false
    const routes: Record<string, Route> = {
      '/set': (_req, res) => {
        res.setHeader('cache-status', 'upstream; fwd=uri-miss')
        res.setHeader('cache-control', 'max-age=60')
        res.end(BODY)
      },
      '/two': (_req, res) => {
        res.setHeader('cache-status', ['origin-cache; hit', 'upstream; fwd=uri-miss'])
        res.setHeader('cache-control', 'no-store')
        res.end(BODY)
      },
      '/stale': (req, res) => {
        if (down) { res.statusCode = 503; res.setHeader('cache-status', 'upstream; fwd=miss'); res.end('down'); return }
        res.setHeader('cache-control', 'max-age=10, stale-if-error=600')
        res.setHeader('etag', '"e"')
        res.setHeader('cache-status', 'upstream; hit')
        if (req.headers['if-none-match'] === '"e"') { res.statusCode = 304; res.end(); return }
        res.end(BODY)
      },
    }
    // The route's own writeHead arguments, in each form Node takes, where the route runs in this process.
    if (framework === 'express5' || framework === 'handler') {
      routes['/object'] = (_req, res) => void res.writeHead(200, { 'Cache-Status': 'upstream; hit' }).end(BODY)
      routes['/flat'] = (_req, res) => void (res.writeHead as (s: number, h: string[]) => ServerResponse)(200, ['Cache-Status', 'upstream; hit']).end(BODY)
    }
    const app = await start(routes, { now: () => now })
    const first = await rawRequest(`${app.url}/set`)
    assert.deepEqual(members(first).slice(0, 1), ['upstream; fwd=uri-miss'])
    assert.equal(members(first).length, 2, String(first.headers['cache-status']))
    assert.match(members(first)[1], /^spillway; fwd=uri-miss/)
    const hit = await rawRequest(`${app.url}/set`)
    assert.ok(isHit(hit))
    assert.deepEqual(members(hit).map((m) => m.split(';')[0]), ['spillway'], 'a hit never reached upstream: its member alone')
    const two = await rawRequest(`${app.url}/two`)
    assert.deepEqual(members(two).map((m) => m.split(';')[0]), ['origin-cache', 'upstream', 'spillway'])
    for (const path of ['/object', '/flat'].filter((p) => p in routes)) {
      const res = await rawRequest(`${app.url}${path}`)
      assert.deepEqual(members(res).map((m) => m.split(';')[0]), ['upstream', 'spillway'], `${path}: ${String(res.headers['cache-status'])}`)
    }
    await rawRequest(`${app.url}/stale`)
    now += 20_000
    const renewed = await rawRequest(`${app.url}/stale`)
    assert.equal(renewed.body.toString(), BODY)
    assert.deepEqual(members(renewed).filter((m) => m.startsWith('spillway')).length, 1, `after a 304: ${String(renewed.headers['cache-status'])}`)
    now += 100_000
    down = true
    const standIn = await rawRequest(`${app.url}/stale`)
    assert.equal(standIn.body.toString(), BODY)
    assert.deepEqual(members(standIn).filter((m) => m.startsWith('spillway')).length, 1, `stale-if-error: ${String(standIn.headers['cache-status'])}`)
  })

  it('9211-2-2: cacheStatusName must be an sf-token: anything else is refused when the cache is made; a token is served as given', async () => {
    for (const name of ['my cache', '"spillway"', '', '1cache', 'a,b', 'a;b', 'cache=1', 'café', 42 as unknown as string]) {
      await assert.rejects(construct(framework, { cacheStatusName: name }), (err: Error) => {
        assert.ok(err instanceof TypeError, String(err))
        assert.match(err.message, /options\.cacheStatusName must be an sf-token/)
        return true
      }, `cacheStatusName ${JSON.stringify(name)}`)
    }
    const app = await start({ '/t': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.end(BODY) } },
      { cacheStatusName: 'Edge.example:8080/a*', now: () => T0 })
    await rawRequest(`${app.url}/t`)
    assert.deepEqual(members(await rawRequest(`${app.url}/t`)), ['Edge.example:8080/a*; hit; ttl=60'])
  })
})
