/**
 * Real HTTP servers on port 0 for the middleware tests: the same routes
 * behind the cache in Express 5, Express 4 or plain Connect, with a count of
 * the requests that reached the origin (the route handlers).
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import connect from 'connect'
import express5 from 'express'
import { httpCache, type HttpCacheMiddleware, type HttpCacheOptions } from '../../middleware/express.js'
import { after } from 'node:test'
import { tempDir } from './temp-dir.js'
import { startProxyApp } from './proxy-app.js'

const require = createRequire(import.meta.url)
const express4 = require('express4') as typeof express5

export type Framework = 'express5' | 'express4' | 'connect' | 'proxy'
export const FRAMEWORKS: Framework[] = ['express5', 'express4', 'connect', 'proxy']

/** A route handler in plain node:http terms, so every framework can run it. */
export type Route = (req: IncomingMessage, res: ServerResponse, hit: number) => void

export interface TestApp {
  url: string
  server: Server
  cache: HttpCacheMiddleware
  /** Requests that reached the origin, per path (without query). */
  originCalls(path?: string): number
  close(): Promise<void>
}

export async function startApp(routes: Record<string, Route>, options: Partial<HttpCacheOptions> = {},
  framework: Framework = 'express5', beforeCache: Array<(req: IncomingMessage, res: ServerResponse, next: () => void) => void> = []): Promise<TestApp> {
  // The caching reverse proxy in front of a plain node:http origin: test/helpers/proxy-app.ts.
  if (framework === 'proxy') return startProxyApp(routes, options, beforeCache)
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
  for (const mw of beforeCache) app.use(mw)
  app.use(cache)
  app.use(origin)
  const server = (app as unknown as { listen(port: number, host: string): Server }).listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  // Give the store a moment to open: until then every request passes through, by design.
  await cacheReady(cache)
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

async function cacheReady(cache: HttpCacheMiddleware): Promise<void> {
  await cache.purgeTag('spillway-test-ready')
}
