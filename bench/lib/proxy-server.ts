/**
 * One server of bench/proxy.ts, in a process of its own:
 *
 *   node dist/bench/lib/proxy-server.js <configuration>
 *
 * Listens on 127.0.0.1, port 0, and speaks bench/http.ts's messages over the
 * IPC channel (bench/lib/http-child.ts starts it): `ready` with its port,
 * then `start`/`stop`, answered with its CPU time (process.cpuUsage(), every
 * thread), the requests it received and the calls of its own origin route
 * in between. The proxies are given their origin (another process of this
 * script, 'origin') in SPILLWAY_BENCH_ORIGIN, and spillway a fresh
 * directory in SPILLWAY_BENCH_DIR.
 *
 * - origin: node:http sending a precomputed Buffer per size; the origin of
 *   every proxy, and on its own the ceiling.
 * - undici-proxy: bench/lib/proxy-plain.ts, no cache.
 * - spillway-proxy, -disk, -always: createCachingProxy with a 64 MiB heap
 *   tier, with none (every hit read from the journals), and with admission
 *   'always' (every miss stored).
 * - express-handler, express-spillway, express-apicache: an Express app
 *   whose route sends the Buffer, behind cache.handler(app), with
 *   httpCache() mounted, and with apicache mounted.
 */
import http from 'node:http'
import { serveMeasured } from './measured-server.js'
import { createRequire } from 'node:module'
import express, { type RequestHandler } from 'express'
import { httpCache } from '../../middleware/express.js'
import { createCachingProxy } from '../../middleware/proxy.js'
import type { ServerMessage } from './http-common.js'
import { plainProxy } from './proxy-plain.js'
import { DIR_ENV, ORIGIN_ENV, SIZES, bodyOf, isServerId, originHeaders, sizeOf, type ServerId } from './proxy-common.js'

interface Apicache { middleware(duration: string): RequestHandler }

const HEAP_BYTES = 64 * 2 ** 20
const BODIES = new Map(SIZES.map((s) => [s.route, { body: bodyOf(s.bytes), headers: originHeaders(bodyOf(s.bytes)) }]))

/** Calls of the origin handler, for serveMeasured. */
let originTotal = 0

function env(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`${name} is not set`)
  return value
}

const origin: http.RequestListener = (req, res) => {
  const size = sizeOf(req.url ?? '')
  if (size === undefined) {
    res.writeHead(404, { 'content-length': '0' })
    return void res.end()
  }
  originTotal++
  const { body, headers } = BODIES.get(size.route)!
  res.writeHead(200, headers)
  res.end(body)
}

/** The routes of an Express app, added after whatever cache `app` mounts. */
function withRoutes(app: express.Express): express.Express {
  for (const size of SIZES) {
    const { body, headers } = BODIES.get(size.route)!
    app.get(size.route, (_req, res) => {
      originTotal++
      res.set(headers)
      res.send(body)
    })
  }
  return app
}

function handlerFor(config: ServerId): http.RequestListener {
  switch (config) {
    case 'origin':
      return origin
    case 'undici-proxy':
      return plainProxy(env(ORIGIN_ENV))
    case 'spillway-proxy':
    case 'spillway-proxy-disk':
    case 'spillway-proxy-always':
      return createCachingProxy({
        target: env(ORIGIN_ENV),
        dir: env(DIR_ENV),
        maxHeapBytes: config === 'spillway-proxy-disk' ? 0 : HEAP_BYTES,
        admission: config === 'spillway-proxy-always' ? 'always' : 'second-hit',
      })
    case 'express-handler':
      return httpCache({ dir: env(DIR_ENV), maxHeapBytes: HEAP_BYTES }).handler(withRoutes(express()))
    case 'express-spillway':
      return withRoutes(express().use(httpCache({ dir: env(DIR_ENV), maxHeapBytes: HEAP_BYTES })))
    case 'express-apicache':
      return withRoutes(express().use((createRequire(import.meta.url)('apicache') as Apicache).middleware('5 minutes')))
  }
}

async function main(): Promise<void> {
  const config = process.argv[2]
  if (!isServerId(config)) throw new Error(`unknown configuration ${config ?? '(none)'}`)
  await serveMeasured(handlerFor(config), () => originTotal, (url) => `${config} listening on ${url} (${SIZES.map((s) => s.route).join(', ')})`)
}

main().catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err)
  if (process.send === undefined) {
    console.error(message)
    process.exit(1)
  }
  // Exit only once the message is out.
  process.send({ type: 'fail', stage: 'setup', message } satisfies ServerMessage, () => process.exit(1))
})
