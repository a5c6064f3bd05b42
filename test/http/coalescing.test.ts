import assert from 'node:assert/strict'
import { once } from 'node:events'
import http from 'node:http'
import zlib from 'node:zlib'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { rawRequest } from '../helpers/raw-http.js'
import type { HttpCacheControls } from '../../middleware/core/http-cache.js'

/** An origin that answers only when released, so requests pile up behind it; `called(n)` resolves at its n-th call. */
function gatedOrigin(answer: Route = (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) }):
  { route: Route; release(): void; called(n: number): Promise<void> } {
  let release!: () => void
  const gate = new Promise<void>((resolve) => { release = resolve })
  const calls: Array<() => void> = []
  const reached = new Map<number, Promise<void>>()
  let count = 0
  const called = (n: number) => {
    if (!reached.has(n)) reached.set(n, n <= count ? Promise.resolve() : new Promise((resolve) => { calls[n] = resolve }))
    return reached.get(n)!
  }
  return {
    route: (req, res, n) => {
      count = n
      calls[n]?.()
      void gate.then(() => answer(req, res, n))
    },
    release,
    called,
  }
}

/** Resolves once `count` requests wait on one fetch of some URL. */
function waiting(cache: HttpCacheControls, count: number): Promise<void> {
  return new Promise((resolve) => {
    const onWaiting = (_key: string, n: number) => {
      if (n < count) return
      cache.events.off('waiting', onWaiting)
      resolve()
    }
    cache.events.on('waiting', onWaiting)
  })
}

for (const framework of FRONT_ENDS) describe(`request coalescing (${framework})`, () => {
  const start = startOn(framework)
  it('makes one origin call for N concurrent misses, and every request gets its response', async () => {
    const origin = gatedOrigin()
    const app = await start({ '/slow': origin.route })
    const seven = waiting(app.cache, 7)
    const pending = Array.from({ length: 8 }, () => request(app.url).get('/slow').then((r) => r))
    await seven
    origin.release()
    const responses = await Promise.all(pending)
    assert.deepEqual(responses.map((r) => r.text), responses.map(() => 'n=1'))
    assert.equal(app.originCalls('/slow'), 1)
    assert.equal(responses.filter((r) => /collapsed/.test(r.headers['cache-status'])).length, 7)
    assert.equal(app.cache.stats().coalesced, 7)
  })

  it('stops waiting after lockTimeoutMs and goes to the origin itself', async () => {
    const origin = gatedOrigin()
    const app = await start({ '/slow': origin.route }, { lockTimeoutMs: 50 })
    const first = request(app.url).get('/slow').then((r) => r)
    await origin.called(1)
    const second = request(app.url).get('/slow').then((r) => r)
    await origin.called(2)
    assert.equal(app.originCalls('/slow'), 2, 'the waiter gave up on the stuck leader')
    origin.release()
    assert.equal((await first).status, 200)
    assert.equal((await second).status, 200)
  })
})

/** A GET that resolves with its first body bytes and stays connected until `close()`. */
function firstChunkKeepOpen(url: string): { first: Promise<Buffer>; close(): void } {
  let close!: () => void
  const first = new Promise<Buffer>((resolve, reject) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.once('data', (chunk: Buffer) => resolve(chunk))
      res.on('error', () => {})
    })
    req.on('error', reject)
    close = () => req.destroy()
  })
  return { first, close: () => close() }
}

for (const framework of FRONT_ENDS) describe(`coalescing releases waiters as soon as storing is ruled out (issue 10 E) (${framework})`, () => {
  const start = startOn(framework)
  /** A stream that sends its head and a first chunk, then stays open until released. */
  function openStream(headers: Record<string, string>, firstChunk: Buffer | string): { route: Route; release(): void; called(n: number): Promise<void> } {
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    const calls: Array<() => void> = []
    let count = 0
    return {
      route: (_req, res, n) => {
        count = n
        calls[n]?.()
        res.writeHead(200, headers)
        res.write(firstChunk)
        void gate.then(() => res.end('done'))
      },
      release,
      called: (n) => (n <= count ? Promise.resolve() : new Promise((resolve) => { calls[n] = resolve })),
    }
  }

  it('an unstorable stream (SSE, no-store) lets the next clients through at its head', { timeout: 20_000 }, async () => {
    const sse = openStream({ 'content-type': 'text/event-stream', 'cache-control': 'no-store' }, 'data: 1\n\n')
    const app = await start({ '/events': sse.route }, { lockTimeoutMs: 600_000 })
    const first = firstChunkKeepOpen(`${app.url}/events`)
    await sse.called(1)
    const second = firstChunkKeepOpen(`${app.url}/events`)
    const third = firstChunkKeepOpen(`${app.url}/events`)
    assert.equal((await first.first).toString(), 'data: 1\n\n')
    assert.equal((await second.first).toString(), 'data: 1\n\n', 'the second client did not wait for the first stream to end')
    assert.equal((await third.first).toString(), 'data: 1\n\n')
    sse.release()
    for (const client of [first, second, third]) client.close()
  })

  it('a response over maxEntryBytes lets the next downloader through once it overflows', { timeout: 20_000 }, async () => {
    const big = openStream({ 'cache-control': 'max-age=60' }, Buffer.alloc(4096, 'b'))
    const app = await start({ '/big': big.route }, { lockTimeoutMs: 600_000, maxEntryBytes: 1024 })
    const first = firstChunkKeepOpen(`${app.url}/big`)
    await big.called(1)
    await first.first
    const second = firstChunkKeepOpen(`${app.url}/big`)
    await big.called(2)
    assert.equal((await second.first).length > 0, true)
    big.release()
    first.close()
    second.close()
  })

  it('the tee keeps nothing of a response once storing is ruled out', async () => {
    const sse = openStream({ 'content-type': 'text/event-stream', 'cache-control': 'no-store' }, Buffer.alloc(64 * 1024, 'e'))
    const app = await start({ '/events': sse.route })
    const client = firstChunkKeepOpen(`${app.url}/events`)
    assert.equal((await client.first).length > 0, true)
    assert.equal(app.cache.stats().bufferedBytes, 0, 'nothing kept of the open no-store stream')
    const notStored = once(app.cache.events, 'not-stored')
    sse.release()
    const [, reason] = await notStored as [string, string]
    assert.match(reason, /not storable/)
    client.close()
  })

  it('a coalesced waiter gets the Accept-Encoding check: a br-only client never gets gzip', async () => {
    const origin = gatedOrigin((req, res, n) => {
      res.setHeader('cache-control', 'max-age=60')
      if (/gzip/.test(req.headers['accept-encoding'] ?? '')) {
        res.setHeader('content-encoding', 'gzip')
        res.end(zlib.gzipSync(`n=${n}`))
      } else {
        res.setHeader('content-encoding', 'br')
        res.end(zlib.brotliCompressSync(`n=${n}`))
      }
    })
    const app = await start({ '/enc': origin.route })
    const one = waiting(app.cache, 1)
    const leader = rawRequest(`${app.url}/enc`, { headers: { 'accept-encoding': 'gzip;q=1, br;q=0.5' } })
    await origin.called(1)
    const brOnly = rawRequest(`${app.url}/enc`, { headers: { 'accept-encoding': 'br' } })
    await one
    origin.release()
    assert.equal((await leader).headers['content-encoding'], 'gzip')
    assert.equal((await brOnly).headers['content-encoding'], 'br')
  })
})

for (const framework of FRONT_ENDS) describe(`hit-for-pass (issue 10 E) (${framework})`, () => {
  const start = startOn(framework)
  it('after an unstorable response, concurrent requests for its URL go to the origin without waiting; a stored one ends that', { timeout: 20_000 }, async () => {
    let storable = false
    let release!: () => void
    let gate = Promise.resolve()
    const reached: Array<() => void> = []
    const called = (n: number) => new Promise<void>((resolve) => { reached[n] = resolve })
    const app = await start({ '/nostore': (_req, res, n) => {
      reached[n]?.()
      void gate.then(() => {
        res.setHeader('cache-control', storable ? 'max-age=60' : 'no-store')
        res.end(`n=${n}`)
      })
    } }, { lockTimeoutMs: 600_000 })
    await request(app.url).get('/nostore')
    gate = new Promise<void>((resolve) => { release = resolve })
    const second = called(2)
    const third = called(3)
    const a = request(app.url).get('/nostore').then((r) => r)
    await second
    const b = request(app.url).get('/nostore').then((r) => r)
    await third
    release()
    assert.deepEqual([(await a).text, (await b).text], ['n=2', 'n=3'])
    storable = true
    const stored = once(app.cache.events, 'stored')
    await request(app.url).get('/nostore')
    await stored
    assert.equal((await request(app.url).get('/nostore')).text, 'n=4', 'stored, and served')
    // Stored again: the URL coalesces again.
    await app.cache.purge('/nostore', new URL(app.url).host)
    gate = new Promise<void>((resolve) => { release = resolve })
    const oneWaits = waiting(app.cache, 1)
    const c = request(app.url).get('/nostore').then((r) => r)
    const d = request(app.url).get('/nostore').then((r) => r)
    await oneWaits
    release()
    assert.deepEqual([(await c).text, (await d).text], ['n=5', 'n=5'])
  })
})

for (const framework of FRONT_ENDS) describe(`coalescing behind a revalidation (${framework})`, () => {
  const start = startOn(framework)
  it('requests that wait on a revalidation are served the entry its 304 renewed', async () => {
    let now = 1_700_000_000_000
    let gate = Promise.resolve()
    let release!: () => void
    let reached: (() => void) | undefined
    const app = await start({ '/rv': (req, res, n) => {
      reached?.()
      void gate.then(() => {
        res.setHeader('cache-control', 'max-age=10')
        res.setHeader('etag', '"e"')
        if (req.headers['if-none-match'] === '"e"') { res.statusCode = 304; res.end(); return }
        res.end(`rv${n}`)
      })
    } }, { now: () => now, lockTimeoutMs: 600_000 })
    await request(app.url).get('/rv')
    now += 20_000
    gate = new Promise<void>((resolve) => { release = resolve })
    const revalidating = new Promise<void>((resolve) => { reached = resolve })
    const leader = request(app.url).get('/rv').then((r) => r)
    await revalidating
    const twoWait = waiting(app.cache, 2)
    const waiters = [request(app.url).get('/rv').then((r) => r), request(app.url).get('/rv').then((r) => r)]
    await twoWait
    release()
    assert.equal((await leader).text, 'rv1')
    for (const waiter of await Promise.all(waiters)) {
      assert.equal(waiter.text, 'rv1')
      assert.match(waiter.headers['cache-status'], /collapsed/)
    }
    assert.equal(app.originCalls('/rv'), 2, 'one revalidation for the three')
  })
})
