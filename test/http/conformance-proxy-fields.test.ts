/**
 * RFC 9111 §3.1: a cache must not store the proxy-specific fields
 * Proxy-Authenticate, Proxy-Authentication-Info and Proxy-Authorization
 * (row 9111-3.1-3 of docs/http-conformance.md). Proxy-Authentication-Info
 * answers the credentials of one client on one hop (RFC 9110 §11.7.3):
 * replayed from the cache, it hands one client's next nonce to every other.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

for (const framework of FRONT_ENDS) describe(`proxy-specific fields (${framework})`, () => {
  const start = startOn(framework)

  // The proxy drops the field as its origin sends it (middleware/proxy/forwarding-headers.ts); the other front ends
  // keep what their route sends, and the storing decision leaves it out of the entry (NOT_STORED, middleware/core/storing-decision.ts).
  it('9111-3.1-3: a hit never carries the Proxy-Authentication-Info an origin sent with the stored response', async () => {
      const app = await start({ '/account': (_req, res, n) => {
        res.setHeader('cache-control', 'public, max-age=600')
        res.setHeader('proxy-authentication-info', `nextnonce="alice-${n}"`)
        res.end(`account n=${n}`)
      } })
      const first = await rawRequest(`${app.url}/account`)
      if (framework === 'proxy') assert.equal(first.headers['proxy-authentication-info'], undefined, 'relayed from the origin')
      const hit = await rawRequest(`${app.url}/account`)
      assert.ok(isHit(hit), String(hit.headers['cache-status']))
      assert.equal(hit.body.toString(), 'account n=1')
      assert.equal(hit.headers['proxy-authentication-info'], undefined, 'replayed from the cache')
    })
})
