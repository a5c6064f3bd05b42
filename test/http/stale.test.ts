import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { after, describe, it } from 'node:test'
import request from 'supertest'
import { openStore } from '../../src/index.js'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { tempDir } from '../helpers/temp-dir.js'

for (const framework of FRONT_ENDS) describe(`stale entries (${framework})`, () => {
  const start = startOn(framework)
  it('revalidates a stale entry with its validators; a 304 refreshes it and the client gets the cached body', async () => {
    let now = 1_700_000_000_000
    const conditional: string[] = []
    const route: Route = (req, res, n) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') {
        conditional.push(String(n))
        res.statusCode = 304
        res.end()
        return
      }
      res.end(`body ${n}`)
    }
    const app = await start({ '/r': route }, { now: () => now })
    assert.equal((await request(app.url).get('/r')).text, 'body 1')
    now += 20_000
    const revalidated = await request(app.url).get('/r')
    assert.equal(revalidated.status, 200)
    assert.equal(revalidated.text, 'body 1', 'the cached body, after a 304 from the origin')
    assert.match(revalidated.headers['cache-status'], /fwd=stale; fwd-status=304/)
    assert.deepEqual(conditional, ['2'], 'the origin saw one conditional request')
    const fresh = await request(app.url).get('/r')
    assert.match(fresh.headers['cache-status'], /hit; ttl=10$/, 'the 304 made the entry fresh again')
    assert.equal(app.originCalls('/r'), 2)
  })

  it('stale-while-revalidate serves the stale entry at once and refreshes it once in the background', async () => {
    let now = 1_700_000_000_000
    const app = await start({ '/swr': (_req, res, n) => { res.setHeader('cache-control', 'max-age=10, stale-while-revalidate=60'); res.end(`v${n}`) } }, { now: () => now })
    await request(app.url).get('/swr')
    now += 20_000
    const refreshed_ = once(app.cache.events, 'refreshed')
    const staleResponses = await Promise.all([1, 2, 3].map(() => request(app.url).get('/swr').then((r) => r)))
    assert.deepEqual(staleResponses.map((r) => r.text), ['v1', 'v1', 'v1'])
    assert.ok(staleResponses.every((r) => /hit; ttl=-\d+; detail="stale-while-revalidate"/.test(r.headers['cache-status'])))
    await refreshed_
    assert.equal(app.originCalls('/swr'), 2, 'exactly one background refresh')
    const refreshed = await request(app.url).get('/swr')
    assert.equal(refreshed.text, 'v2')
    assert.match(refreshed.headers['cache-status'], /hit/)
  })

  it('a stale request after the refresh has been answered, but before its response is stored, sends no second refresh', async () => {
    let now = 1_700_000_000_000
    const store = await openStore({ dir: tempDir('swr-gap') })
    after(() => store.close())
    // The refresh's entry waits at the store until the test lets it through.
    let gate: Promise<void> | undefined
    let open!: () => void
    let setReached!: () => void
    const reachedSet = new Promise<void>((resolve) => { setReached = resolve })
    const set = store.set.bind(store)
    store.set = async (...args) => {
      if (gate !== undefined) {
        setReached()
        await gate
      }
      return set(...args)
    }
    const app = await start({ '/swr': (_req, res, n) => { res.setHeader('cache-control', 'max-age=10, stale-while-revalidate=60'); res.end(`v${n}`) } }, { now: () => now, store })
    await request(app.url).get('/swr')
    now += 20_000
    gate = new Promise<void>((resolve) => { open = resolve })
    // The sender frees its refresh once the refresh's response has ended: by the time the server sees
    // that connection close, the sender has read the whole response.
    const refreshClosed = new Promise<void>((resolve) => app.server.on('request', (req: IncomingMessage) => {
      if (req.headers['x-spillway-refresh'] !== undefined) req.socket.once('close', () => resolve())
    }))
    assert.match((await request(app.url).get('/swr')).headers['cache-status'], /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    await Promise.all([reachedSet, refreshClosed])
    const refreshed = once(app.cache.events, 'refreshed')
    const between = await request(app.url).get('/swr')
    assert.equal(between.text, 'v1')
    assert.match(between.headers['cache-status'], /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    open()
    await refreshed
    assert.equal(app.originCalls('/swr'), 2, 'one refresh: the second stale request found it still being stored')
    assert.equal((await request(app.url).get('/swr')).text, 'v2')
  })

  it('stale-if-error (and useStaleOnError) serve the stale entry when the origin fails', async () => {
    let now = 1_700_000_000_000
    let failing = false
    const route: Route = (_req, res, n) => {
      if (failing) { res.statusCode = 503; res.end('down'); return }
      res.setHeader('cache-control', 'max-age=10, stale-if-error=60')
      res.end(`ok ${n}`)
    }
    const app = await start({ '/e': route, '/plain': (_req, res, n) => {
      if (failing) throw new Error('origin exploded')
      res.setHeader('cache-control', 'max-age=10')
      res.end(`plain ${n}`)
    } }, { now: () => now, useStaleOnError: 30 })
    await request(app.url).get('/e')
    await request(app.url).get('/plain')
    failing = true
    now += 20_000
    const fallback = await request(app.url).get('/e')
    assert.equal(fallback.status, 200)
    assert.equal(fallback.text, 'ok 1')
    assert.match(fallback.headers['cache-status'], /fwd=stale; fwd-status=503; detail="stale-if-error"/)
    const thrown = await request(app.url).get('/plain')
    assert.equal(thrown.status, 200, 'useStaleOnError covers a thrown error')
    assert.equal(thrown.text, 'plain 1')
    now += 60_000
    const tooOld = await request(app.url).get('/e')
    assert.equal(tooOld.status, 503, 'past the stale-if-error window the error goes through')
  })

  it('useStaleOnError with originTimeoutMs answers a stale entry when the origin is too slow, and drops its late response', async () => {
    let now = 1_700_000_000_000
    let slow = false
    let releaseLate!: () => void
    const late = new Promise<void>((resolve) => { releaseLate = resolve })
    let lateSent!: () => void
    const lateDone = new Promise<void>((resolve) => { lateSent = resolve })
    const app = await start({ '/t': (_req, res, n) => {
      const send = () => { res.setHeader('cache-control', 'max-age=10'); res.end(`t${n}`) }
      if (slow) {
        slow = false
        void late.then(() => { send(); lateSent() })
      } else {
        send()
      }
    } }, { now: () => now, useStaleOnError: 60, originTimeoutMs: 100 })
    await request(app.url).get('/t')
    slow = true
    now += 20_000
    const timedOut = await request(app.url).get('/t')
    assert.equal(timedOut.text, 't1')
    assert.match(timedOut.headers['cache-status'], /detail="origin-timeout"/)
    releaseLate()
    await lateDone
    const after = await request(app.url).get('/t')
    assert.equal(after.status, 200, 'the late response was dropped without harm')
  })
})
