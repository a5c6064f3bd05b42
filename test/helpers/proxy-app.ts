/**
 * The 'proxy' front end of the shared HTTP suites (http-apps.ts): the routes
 * served by a plain node:http origin on port 0, and the caching proxy
 * (middleware/proxy.ts) in front of it, on port 0 too. Middlewares meant to
 * run before the cache run in front of the proxy, on the same req and res.
 * A route that throws gets what Express and Connect give it: a 500, or its
 * connection closed once its head is out.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after } from 'node:test'
import { createCachingProxy } from '../../middleware/proxy.js'
import type { HttpCacheOptions } from '../../middleware/core/options.js'
import type { Route, TestApp } from './http-apps.js'
import { tempDir } from './temp-dir.js'
import { storeSettled, type StoreSetup } from './store-settled.js'

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void

export async function startProxyApp(routes: Record<string, Route>, options: Partial<HttpCacheOptions>, beforeCache: Middleware[],
  setup: StoreSetup = {}): Promise<TestApp> {
  const calls = new Map<string, number>()
  const origin = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const route = routes[path]
    if (route === undefined) {
      res.statusCode = 404
      return void res.end(`Cannot ${req.method} ${path}`)
    }
    const n = (calls.get(path) ?? 0) + 1
    calls.set(path, n)
    try {
      route(req, res, n)
    } catch {
      // The bytes written so far leave first, as they would from a crashing origin process: the proxy
      // then sees a body cut short. (Destroyed at once, nothing would leave, and the proxy would answer 502.)
      if (res.headersSent) return void res.socket?.end()
      res.statusCode = 500
      res.end('Internal Server Error')
    }
  })
  await listen(origin)
  const proxy = createCachingProxy({
    target: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
    dir: options.store === undefined ? tempDir('http-proxy') : undefined,
    admission: 'always',
    ...options,
  })
  const server = http.createServer((req, res) => {
    let i = 0
    const next = () => (i < beforeCache.length ? beforeCache[i++](req, res, next) : proxy(req, res))
    next()
  })
  await listen(server)
  await storeSettled(proxy, setup)
  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    for (const s of [server, origin]) {
      s.closeAllConnections()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    }
    await proxy.close()
  })())
  after(close)
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    cache: proxy,
    originCalls: (path) => (path === undefined ? [...calls.values()].reduce((a, b) => a + b, 0) : calls.get(path) ?? 0),
    close,
  }
}

function listen(server: http.Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
}
