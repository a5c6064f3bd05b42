/**
 * Failure isolation: a store that fails — closed under the middleware, one
 * whose writes reject, one that returns garbage, or one that never opens —
 * never fails a request. Every request gets the origin's response, the
 * middleware does not throw, and stats() shows what happened.
 */
import { after, afterEach, before, beforeEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import connect from 'connect'
import express5 from 'express'
import { openStore, type Store } from '../../src/index.js'
import { httpCache, type HttpCacheControls } from '../../middleware/express.js'
import { createCachingProxy } from '../../middleware/proxy.js'
import { argoCache } from '../../middleware/argo.js'
import { argo } from '../helpers/argo-front.js'
import { FRAMEWORKS, startApp, type Framework, type Route, type TestApp } from '../helpers/http-apps.js'
import { tempDir } from '../helpers/temp-dir.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express5

const BODY = JSON.stringify({ ok: true, filler: 'x'.repeat(2000) })
const routes: Record<string, Route> = {
  '/data': (req, res) => {
    res.setHeader('content-type', 'application/json')
    res.setHeader('cache-control', 'public, max-age=600')
    res.setHeader('etag', '"v1"')
    res.end(req.method === 'HEAD' ? undefined : BODY)
  },
  '/stream': (_req, res) => {
    res.setHeader('content-type', 'text/plain')
    res.setHeader('cache-control', 'public, max-age=600')
    for (let i = 0; i < 20; i++) res.write(BODY.slice(i * 100, (i + 1) * 100))
    res.end(BODY.slice(2000))
  },
}

// Any rejection nobody handled is a failure of isolation, wherever it came from.
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
before(() => process.on('unhandledRejection', onUnhandled))
after(() => {
  process.off('unhandledRejection', onUnhandled)
  assert.deepEqual(unhandled, [], 'unhandled rejections')
})

/** GET, HEAD, a Range GET and a POST each get the origin's own answer, and each reached the origin. */
async function assertPassesThrough(url: string, originCalls: () => number): Promise<void> {
  let calls = originCalls()
  for (let n = 0; n < 3; n++) {
    const res = await rawRequest(url + '/data')
    assert.equal(res.status, 200)
    assert.equal(res.body.toString(), BODY)
    assert.ok(!isHit(res), 'a hit from a failing store')
    assert.equal(originCalls(), ++calls, 'a GET did not reach the origin')
  }
  const streamed = await rawRequest(url + '/stream')
  assert.equal(streamed.status, 200)
  assert.equal(streamed.body.toString(), BODY)
  assert.equal(originCalls(), ++calls)
  const head = await rawRequest(url + '/data', { method: 'HEAD' })
  assert.equal(head.status, 200)
  assert.equal(head.body.byteLength, 0)
  assert.equal(originCalls(), ++calls)
  const ranged = await rawRequest(url + '/data', { headers: { range: 'bytes=0-9' } })
  assert.equal(ranged.status, 200, 'the origin ignores Range: its full 200 must come through')
  assert.equal(ranged.body.toString(), BODY)
  assert.equal(originCalls(), ++calls)
  const conditional = await rawRequest(url + '/data', { headers: { 'if-none-match': '"v1"' } })
  assert.equal(conditional.status, 200, 'the origin ignores If-None-Match: its 200 must come through')
  assert.equal(originCalls(), ++calls)
  const post = await rawRequest(url + '/data', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })
  assert.equal(post.status, 200)
  assert.equal(post.body.toString(), BODY)
  assert.equal(originCalls(), ++calls)
}

/** A Store whose methods are the real store's, except those in `overrides`. */
function storeWith(real: Store, overrides: Partial<Record<keyof Store, unknown>>): Store {
  return new Proxy(real, {
    get(target, prop) {
      if (Object.prototype.hasOwnProperty.call(overrides, prop)) return overrides[prop as keyof Store]
      const value = Reflect.get(target, prop, target) as unknown
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

for (const framework of FRAMEWORKS) {
  describe(`a failing store (${framework})`, () => {
    let app: TestApp | undefined
    afterEach(async () => {
      await app?.close()
      app = undefined
    })

    it('a store closed under the middleware: every request gets the origin\'s response, counted as errors', async () => {
      const store = await openStore({ dir: tempDir('failure-closed') })
      app = await startApp(routes, { store }, framework)
      // Warm the cache first, so the closed store has something it can no longer give back.
      await rawRequest(app.url + '/data')
      const warm = await rawRequest(app.url + '/data')
      assert.ok(isHit(warm), 'the cache did not work before the store was closed')
      assert.equal(app.originCalls('/data'), 1)

      await store.close()
      await assert.rejects(store.get('anything'), (err: { code?: string }) => err.code === 'ERR_STORE_CLOSED')
      const before = app.cache.stats()
      const a = app
      await assertPassesThrough(a.url, () => a.originCalls())
      const stats = app.cache.stats()
      // 3 GETs, the streamed GET, HEAD, the Range GET and the conditional GET all looked the key up in the closed store.
      assert.ok(stats.errors + stats.bypasses - before.errors - before.bypasses >= 7,
        `stats do not show the failures: ${JSON.stringify(stats)} (before: ${JSON.stringify(before)})`)
      assert.equal(stats.hits, before.hits)
      assert.equal(stats.stored, before.stored)
    })

    it('a store whose writes reject: responses are unaffected, nothing is stored, errors are counted', async () => {
      const real = await openStore({ dir: tempDir('failure-set') })
      const store = storeWith(real, { set: async () => { throw new Error('disk on fire (expected by the test)') } })
      app = await startApp(routes, { store }, framework)
      const a = app
      await assertPassesThrough(a.url, () => a.originCalls())
      const stats = app.cache.stats()
      assert.equal(stats.stored, 0)
      assert.equal(stats.hits, 0)
      assert.ok(stats.errors >= 4, `4 storable GET responses failed to store; stats: ${JSON.stringify(stats)}`)
      await real.close()
    })

    it('a store whose reads throw synchronously: requests pass through to the origin', async () => {
      const real = await openStore({ dir: tempDir('failure-get-throws') })
      const boom = () => { throw new Error('read failed (expected by the test)') }
      const store = storeWith(real, { get: boom, getSync: boom })
      app = await startApp(routes, { store }, framework)
      const a = app
      await assertPassesThrough(a.url, () => a.originCalls())
      assert.ok(app.cache.stats().errors >= 7, JSON.stringify(app.cache.stats()))
      await real.close()
    })

    it('a store that returns garbage for every key: treated as a miss, responses come from the origin', async () => {
      const real = await openStore({ dir: tempDir('failure-garbage') })
      const garbage = [Buffer.alloc(0), Buffer.from([1, 2, 3]), Buffer.from([0xff, 0xff, 0xff, 0x7f, 1]), Buffer.from('\u0005\u0000\u0000\u0000{"v":', 'latin1'),
        Buffer.concat([Buffer.from([9, 0, 0, 0]), Buffer.from('{"v":1}xx')]), entry('{"v":1,"status":200,"headers":{}}'),
        entry('{"v":1,"status":200,"headers":{},"policy":{"v":2}}'), entry('{"v":1,"status":0,"headers":{},"vary":["accept"]}')]
      let i = 0
      function entry(head: string): Buffer {
        const json = Buffer.from(head)
        const length = Buffer.alloc(4)
        length.writeUInt32LE(json.byteLength)
        return Buffer.concat([length, json, Buffer.from('body')])
      }
      const next = () => garbage[i++ % garbage.length]
      const store = storeWith(real, { getSync: next, get: async () => next() })
      app = await startApp(routes, { store }, framework)
      for (let n = 1; n <= garbage.length; n++) {
        const res = await rawRequest(app.url + '/data')
        assert.equal(res.status, 200)
        assert.equal(res.body.toString(), BODY)
        assert.ok(!isHit(res))
        assert.equal(app.originCalls('/data'), n)
      }
      await real.close()
    })
  })

  describe(`a store that cannot be opened (${framework})`, () => {
    let server: Server | undefined
    let cache: HttpCacheControls | undefined
    beforeEach(() => {
      server = undefined
      cache = undefined
    })
    afterEach(async () => {
      if (server !== undefined) {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server!.close(() => resolve()))
      }
      // close() reports the open failure again; that is close()'s business, not a request's.
      await cache?.close().catch(() => {})
    })

    /** The harness's startApp waits for the store to open, which never happens here: build the app by hand. */
    async function start(dir: string, fw: Framework): Promise<{ url: string; originCalls: () => number }> {
      if (fw === 'proxy' || fw === 'argo') return startInFrontOfOrigin(dir, fw)
      const middleware = httpCache({ dir })
      cache = middleware
      let calls = 0
      const app = fw === 'connect' ? connect() : fw === 'express4' ? express4() : express5()
      if (fw !== 'handler') app.use(middleware)
      app.use((req, res, next) => {
        const route = routes[(req.url ?? '/').split('?')[0]]
        if (route === undefined) return next()
        calls++
        route(req, res, calls)
      })
      server = fw === 'handler'
        ? http.createServer(middleware.handler(app as unknown as http.RequestListener)).listen(0, '127.0.0.1')
        : (app as unknown as { listen(port: number, host: string): Server }).listen(0, '127.0.0.1')
      await new Promise<void>((resolve) => server!.once('listening', () => resolve()))
      const { port } = server.address() as AddressInfo
      return { url: `http://127.0.0.1:${port}`, originCalls: () => calls }
    }

    /** The same by hand for the proxy and for argo: a plain node:http origin, the front end before it. */
    async function startInFrontOfOrigin(dir: string, fw: 'proxy' | 'argo'): Promise<{ url: string; originCalls: () => number }> {
      let calls = 0
      const origin = http.createServer((req, res) => {
        calls++
        routes[(req.url ?? '/').split('?')[0]](req, res, calls)
      })
      await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve))
      after(() => {
        origin.closeAllConnections()
        origin.close()
      })
      const target = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`
      if (fw === 'proxy') {
        const proxy = createCachingProxy({ target, dir })
        cache = proxy
        server = http.createServer(proxy)
      } else {
        const plugin = argoCache({ dir })
        cache = plugin
        server = http.createServer(argo().use(plugin).target(target).build().run)
      }
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
      return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, originCalls: () => calls }
    }

    for (const [label, makeDir] of [
      ['dir under a regular file', () => {
        const file = path.join(tempDir('failure-file'), 'not-a-dir')
        fs.writeFileSync(file, 'plain file')
        return path.join(file, 'cache')
      }],
      ['dir is a regular file', () => {
        const file = path.join(tempDir('failure-file'), 'not-a-dir')
        fs.writeFileSync(file, 'plain file')
        return file
      }],
    ] as const) {
      it(`${label}: requests pass through to the origin, before and after the open fails`, async () => {
        const { url, originCalls } = await start(makeDir(), framework)
        // Possibly still opening: must pass through.
        const early = await rawRequest(url + '/data')
        assert.equal(early.status, 200)
        assert.equal(early.body.toString(), BODY)
        // Wait until the open has certainly failed: purgeTag reports it.
        await assert.rejects(cache!.purgeTag('x'))
        await assertPassesThrough(url, originCalls)
        const res = await rawRequest(url + '/data')
        assert.match(String(res.headers['cache-status']), /fwd=bypass/, 'Cache-Status should say the request bypassed the cache')
        assert.equal(cache!.stats().hits, 0)
        assert.equal(cache!.stats().stored, 0)
      })
    }
  })
}
