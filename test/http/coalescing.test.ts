import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { startApp, type Route } from '../helpers/http-apps.js'

/** An origin that answers only when released, so requests pile up behind it. */
function gatedOrigin(): { route: Route; release(): void } {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  return {
    route: (_req, res, n) => { void gate.then(() => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) }) },
    release,
  }
}

describe('request coalescing', () => {
  it('makes one origin call for N concurrent misses, and every request gets its response', async () => {
    const origin = gatedOrigin()
    const app = await startApp({ '/slow': origin.route })
    const pending = Array.from({ length: 8 }, () => request(app.url).get('/slow').then((r) => r))
    await new Promise((resolve) => setTimeout(resolve, 200))
    origin.release()
    const responses = await Promise.all(pending)
    assert.deepEqual(responses.map((r) => r.text), responses.map(() => 'n=1'))
    assert.equal(app.originCalls('/slow'), 1)
    assert.ok(responses.filter((r) => /collapsed/.test(r.headers['cache-status'])).length >= 6)
    assert.ok(app.cache.stats().coalesced >= 6)
  })

  it('stops waiting after lockTimeoutMs and goes to the origin itself', async () => {
    const origin = gatedOrigin()
    const app = await startApp({ '/slow': origin.route }, { lockTimeoutMs: 50 })
    const first = request(app.url).get('/slow').then((r) => r)
    await new Promise((resolve) => setTimeout(resolve, 20))
    const second = request(app.url).get('/slow').then((r) => r)
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(app.originCalls('/slow'), 2, 'the waiter gave up on the stuck leader')
    origin.release()
    assert.equal((await first).status, 200)
    assert.equal((await second).status, 200)
  })
})
