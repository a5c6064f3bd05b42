/**
 * Real HTTP servers on port 0 for the middleware tests: the same routes
 * behind the cache in Express 5, Express 4 or plain Connect, an Express 5
 * app behind `cache.handler(app)` ('handler': hits answered before the app),
 * the caching reverse proxy before a plain node:http origin ('proxy'), or
 * argo with the plugin ('argo'), with a count of the requests that reached
 * the origin (the route handlers).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import connect from 'connect'
import express5 from 'express'
import { httpCache, type HttpCacheControls, type HttpCacheMiddleware, type HttpCacheOptions } from '../../middleware/express.js'
import { after } from 'node:test'
import { tempDir } from './temp-dir.js'
import { startArgoFront } from './argo-front.js'
import { startProxyApp } from './proxy-app.js'
import { storeSettled, type StoreSetup } from './store-settled.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express5

export type Framework = 'express5' | 'express4' | 'connect' | 'handler' | 'proxy' | 'argo'
export const FRAMEWORKS: Framework[] = ['express5', 'express4', 'connect', 'handler', 'proxy', 'argo']
/** Each front end once (Express 5 stands for the middleware), for suites that need no framework feature. */
export const FRONT_ENDS: Framework[] = ['express5', 'handler', 'proxy', 'argo']

/** startApp on one front end: `const start = startOn(framework)` in a suite run once per front end. */
export const startOn = (framework: Framework) => (routes: Record<string, Route>, options: Partial<HttpCacheOptions> = {}, setup: StoreSetup = {}): Promise<TestApp> =>
  startApp(routes, options, framework, [], setup)

/** A route handler in plain node:http terms, so every framework can run it. */
export type Route = (req: IncomingMessage, res: ServerResponse, hit: number) => void

export interface TestApp {
  url: string
  server: Server
  cache: HttpCacheControls
  /** Requests that reached the origin, per path (without query). */
  originCalls(path?: string): number
  close(): Promise<void>
}

export async function startApp(routes: Record<string, Route>, options: Partial<HttpCacheOptions> = {},
  framework: Framework = 'express5', beforeCache: Array<(req: IncomingMessage, res: ServerResponse, next: () => void) => void> = [],
  setup: StoreSetup = {}): Promise<TestApp> {
  if (framework === 'argo') {
    if (beforeCache.length > 0) throw new Error('argo has no Express middleware before the cache')
    return startArgoApp(routes, options, setup)
  }
  // The caching reverse proxy in front of a plain node:http origin: test/helpers/proxy-app.ts.
  if (framework === 'proxy') return startProxyApp(routes, options, beforeCache, setup)
  // Admission 'always': these suites test what a stored response does, from the first miss on
  // (test/http/flooding.test.ts covers the default, 'second-hit').
  const cache = httpCache({ dir: options.store === undefined ? tempDir('http') : undefined, admission: 'always', ...options })
  const calls = new Map<string, number>()
  const origin = (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    const path = (req.url ?? '/').split('?')[0]
    const route = routes[path]
    if (route === undefined) return next()
    const n = (calls.get(path) ?? 0) + 1
    calls.set(path, n)
    route(req, res, n)
  }
  const app = framework === 'connect' ? connect() : framework === 'express4' ? express4() : express5()
  if (framework === 'handler' && beforeCache.length > 0) throw new Error('the handler front end has nothing before the cache')
  for (const mw of beforeCache) app.use(mw)
  if (framework !== 'handler') app.use(cache)
  app.use(origin)
  const server = framework === 'handler'
    ? createServer(cache.handler(app as unknown as Parameters<HttpCacheMiddleware['handler']>[0])).listen(0, '127.0.0.1')
    : (app as unknown as { listen(port: number, host: string): Server }).listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  await storeSettled(cache, setup)
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  // Closed by the test, or by node:test's after() when an assertion fails first: an open server
  // would keep the file running. Call startApp in a test or at top level: on Node 20 an after()
  // registered inside a before() hook runs as soon as that hook returns.
  const close = () => (closing ??= (async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await cache.close()
  })())
  after(close)
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    cache,
    originCalls: (path) => (path === undefined ? [...calls.values()].reduce((a, b) => a + b, 0) : calls.get(path) ?? 0),
    close,
  }
}

/**
 * The 'argo' front end: the routes on a plain node:http origin, and argo
 * with the spillway plugin in front of it, targeting it (argo-front.ts). A
 * route that throws gets a 500, as Express and Connect give one. The cache
 * is the plugin: the suites use only its controls (purge*, stats, events,
 * close), which it shares with the middleware, never a (req, res, next) call.
 */
async function startArgoApp(routes: Record<string, Route>, options: Partial<HttpCacheOptions>, setup: StoreSetup): Promise<TestApp> {
  const calls = new Map<string, number>()
  const front = await startArgoFront((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    const route = routes[path]
    if (route === undefined) return void res.writeHead(404).end()
    const n = (calls.get(path) ?? 0) + 1
    calls.set(path, n)
    try {
      route(req, res, n)
    } catch {
      if (!res.headersSent) res.writeHead(500).end()
      else res.destroy()
    }
  }, { cache: options, ...setup })
  return {
    url: front.url,
    server: front.server,
    cache: front.plugin,
    originCalls: (path) => (path === undefined ? [...calls.values()].reduce((a, b) => a + b, 0) : calls.get(path) ?? 0),
    close: front.close,
  }
}
