/**
 * RFC 9111 §5.2: cache directives are compared case-insensitively
 * (docs/http-conformance.md row 9111-5.2-1). http-cache-semantics, which
 * spillway used before middleware/core/cache-control.ts, compared them as
 * sent, so a shared cache stored `Cache-Control: Private` and served it to
 * every client.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000

for (const framework of FRONT_ENDS) describe(`cache directives in any case (${framework})`, () => {
  const start = startOn(framework)

  it('9111-5.2-1, 9111-3-4, 9111-3-5: a response marked "Private" or "NO-STORE" is never stored, so one user never gets another\'s page', async () => {
    const app = await start({
      '/private': (req, res) => { res.setHeader('cache-control', 'Private, Max-Age=60'); res.end(`page of ${req.headers['x-user']}`) },
      '/nostore': (req, res) => { res.setHeader('cache-control', 'NO-STORE, max-age=60'); res.end(`page of ${req.headers['x-user']}`) },
    })
    for (const path of ['/private', '/nostore']) {
      const attacker = await rawRequest(`${app.url}${path}`, { headers: { 'x-user': 'alice' } })
      assert.equal(attacker.body.toString(), 'page of alice')
      const victim = await rawRequest(`${app.url}${path}`, { headers: { 'x-user': 'bob' } })
      assert.equal(victim.body.toString(), 'page of bob', `${path}: bob got alice's page`)
      assert.ok(!isHit(victim), String(victim.headers['cache-status']))
      assert.equal(app.originCalls(path), 2)
    }
  })

  it('9111-5.2-1, 9111-4.2.1-1: "Max-Age" and "S-MaxAge" give freshness, and clients get the directives as the origin wrote them', async () => {
    const app = await start({
      '/m': (_req, res, n) => { res.setHeader('cache-control', 'Public, Max-Age=60'); res.end(`m${n}`) },
      '/s': (_req, res, n) => { res.setHeader('cache-control', 'S-MAXAGE=60'); res.end(`s${n}`) },
    })
    for (const [path, written] of [['/m', 'Public, Max-Age=60'], ['/s', 'S-MAXAGE=60']]) {
      await rawRequest(`${app.url}${path}`)
      const again = await rawRequest(`${app.url}${path}`)
      assert.ok(isHit(again), `${path}: ${String(again.headers['cache-status'])}`)
      assert.equal(again.headers['cache-control'], written)
      assert.equal(app.originCalls(path), 1)
    }
  })

  it('9111-5.2-1, 9111-5.2.1.4-1: a request\'s "No-Cache" (or "Pragma: No-Cache") is not answered from the cache without the origin', async () => {
    const app = await start({ '/r': (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`r${n}`) } })
    await rawRequest(`${app.url}/r`)
    assert.ok(isHit(await rawRequest(`${app.url}/r`)))
    const noCache = await rawRequest(`${app.url}/r`, { headers: { 'cache-control': 'No-Cache' } })
    assert.equal(noCache.body.toString(), 'r2')
    const pragma = await rawRequest(`${app.url}/r`, { headers: { pragma: 'No-Cache' } })
    assert.equal(pragma.body.toString(), 'r3')
    assert.equal(app.originCalls('/r'), 3)
  })

  it('9111-5.2-1, 9111-5.2.2.2-1: a "Must-Revalidate" entry is never served stale, on an origin error or to max-stale', async () => {
    let now = T0
    let down = false
    const app = await start({ '/m': (_req, res, n) => {
      if (down) { res.statusCode = 503; res.end('down'); return }
      res.setHeader('cache-control', 'Max-Age=10, Stale-If-Error=600, Must-Revalidate')
      res.end(`m${n}`)
    } }, { now: () => now, useStaleOnError: 600 })
    await rawRequest(`${app.url}/m`)
    assert.equal((await rawRequest(`${app.url}/m`)).body.toString(), 'm1', 'fresh, it is served')
    now += 20_000
    down = true
    assert.equal((await rawRequest(`${app.url}/m`)).status, 503)
    assert.equal((await rawRequest(`${app.url}/m`, { headers: { 'cache-control': 'Max-Stale=3600' } })).status, 503)
  })
})
