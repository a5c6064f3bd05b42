/**
 * RFC 9111 §4 to §4.2 (choosing and aging a stored response): the rows of
 * docs/http-conformance.md that had no test, one test each, named after its
 * row, on every front end. Time moves on the injected clock `now`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000
const DAY = 86_400_000

for (const framework of FRONT_ENDS) describe(`RFC 9111 §4 freshness, conformance rows (${framework})`, () => {
  const start = startOn(framework)

  it('9111-4-7: "When more than one suitable response is stored, a cache MUST use the most recent one"', async () => {
    let now = T0
    const app = await start({ '/r': (_req, res, n) => { res.setHeader('cache-control', 'max-age=10'); res.end(`v${n}`) } }, { now: () => now })
    assert.equal((await rawRequest(`${app.url}/r`)).body.toString(), 'v1')
    now += 20_000
    assert.equal((await rawRequest(`${app.url}/r`)).body.toString(), 'v2', 'stale: the origin\'s newer response')
    const afterStale = await rawRequest(`${app.url}/r`)
    assert.ok(isHit(afterStale), String(afterStale.headers['cache-status']))
    assert.equal(afterStale.body.toString(), 'v2', 'the newer response, not the first one stored')
    // Still fresh, but a client asked the origin: its newer response is the one served from then on.
    assert.equal((await rawRequest(`${app.url}/r`, { headers: { 'cache-control': 'no-cache' } })).body.toString(), 'v3')
    const afterNoCache = await rawRequest(`${app.url}/r`)
    assert.ok(isHit(afterNoCache), String(afterNoCache.headers['cache-status']))
    assert.equal(afterNoCache.body.toString(), 'v3')
    assert.equal(app.originCalls('/r'), 3)
  })

  it('9111-4.1-3: a field named by Vary that is absent from one request matches only requests where it is absent too, not an empty one', async () => {
    const tenant: Route = (req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('vary', 'X-Tenant')
      res.end(`tenant=${JSON.stringify(req.headers['x-tenant'] ?? null)}`)
    }
    const app = await start({ '/absent-first': tenant, '/empty-first': tenant })
    const absent = await rawRequest(`${app.url}/absent-first`)
    assert.equal(absent.body.toString(), 'tenant=null')
    const empty = await rawRequest(`${app.url}/absent-first`, { headers: { 'x-tenant': '' } })
    assert.equal(empty.body.toString(), 'tenant=""', 'an empty X-Tenant got the response stored for an absent one')
    const emptyFirst = await rawRequest(`${app.url}/empty-first`, { headers: { 'x-tenant': '' } })
    assert.equal(emptyFirst.body.toString(), 'tenant=""')
    const absentAfter = await rawRequest(`${app.url}/empty-first`)
    assert.equal(absentAfter.body.toString(), 'tenant=null', 'an absent X-Tenant got the response stored for an empty one')
    assert.equal(app.originCalls(), 4)
  })

  it('9111-4.2.2-2: heuristic freshness only for a heuristically cacheable status (200 yes; 302, 307, 403 not)', async () => {
    let now = T0
    const withLastModified = (status: number): Route => (_req, res, n) => {
      res.statusCode = status
      if (status >= 300 && status < 400) res.setHeader('location', '/elsewhere')
      res.setHeader('date', new Date(now).toUTCString())
      res.setHeader('last-modified', new Date(now - 10 * DAY).toUTCString())
      res.end(`${status} #${n}`)
    }
    const app = await start({ '/ok': withLastModified(200), '/found': withLastModified(302), '/temporary': withLastModified(307),
      '/forbidden': withLastModified(403) }, { now: () => now, heuristic: true })
    await rawRequest(`${app.url}/ok`)
    const ok = await rawRequest(`${app.url}/ok`)
    assert.ok(isHit(ok), `a 200 with Last-Modified 10 days old is heuristically fresh: ${String(ok.headers['cache-status'])}`)
    for (const [path, status] of [['/found', 302], ['/temporary', 307], ['/forbidden', 403]] as const) {
      await rawRequest(`${app.url}${path}`)
      const again = await rawRequest(`${app.url}${path}`)
      assert.equal(again.status, status)
      assert.equal(again.body.toString(), `${status} #2`, `${path}: served from a heuristic lifetime`)
      assert.equal(app.originCalls(path), 2)
    }
  })
})
