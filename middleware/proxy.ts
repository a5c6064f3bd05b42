/**
 * `spillway/proxy`: a caching reverse proxy. Hits are answered from the
 * cache; misses go to `target` over a keep-alive undici Pool and are stored
 * by the same RFC 9111 rules as the Express middleware's.
 *
 *   import { createCachingProxy } from 'spillway/proxy'
 *   const proxy = createCachingProxy({ target: 'http://127.0.0.1:3000', dir: '.cache/proxy' })
 *   const { url, close } = await proxy.listen(8080, '127.0.0.1')
 *   // or: http.createServer(proxy).on('upgrade', proxy.upgrade).listen(8080)
 *
 * With `dashboard: '/_spillway'` it serves its live dashboard at that path.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex } from 'node:stream'
import { Pool } from 'undici'
import { httpCache, type HttpCacheControls } from './core/http-cache.js'
import type { HttpCacheOptions } from './core/options.js'
import { forwardedInputs } from './core/request-guard.js'
import { droppedEndToEnd } from './proxy/forwarding-headers.js'
import { forwardToOrigin } from './proxy/origin-request.js'
import { resolveProxyOptions, type ProxyOptions } from './proxy/options.js'
import { createDashboard, pathBelow } from './dashboard/dashboard.js'
import { listenProxy, type ListeningProxy } from './proxy/proxy-server.js'
import { tunnelUpgrade } from './proxy/upgrade.js'

export type { ProxyOptions } from './proxy/options.js'
export type { ListeningProxy } from './proxy/proxy-server.js'
export type { HttpCacheStats } from './core/http-cache.js'

/**
 * A `node:http` request listener that is also the cache's handle: purge,
 * purgePrefix, purgeTag, stats, events and ready as on the middleware.
 */
export type CachingProxy = ((req: IncomingMessage, res: ServerResponse) => void) & Omit<HttpCacheControls, 'close'> & {
  /** The listener for a server's 'upgrade' event: the request passes through to the origin at the socket level. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Listens on `port` (0: any free one) and `host` (@default '127.0.0.1'), with graceful shutdown. */
  listen(port: number, host?: string): Promise<ListeningProxy>
  /** Closes the origin connections (after the requests on them finish) and the cache (and the store, if it opened it). */
  close(): Promise<void>
}

/** Options the proxy takes itself; the rest are the cache's. */
const PROXY_ONLY = ['target', 'preserveHost', 'via', 'xForwardedFor', 'xForwardedProto', 'xForwardedHost', 'connectTimeoutMs',
  'headersTimeoutMs', 'bodyTimeoutMs', 'connections', 'tls', 'dashboard'] as const

/** Marks the key's part for fields a client dropped through Connection (see droppedEndToEnd); no URL holds it. */
const DROPPED = '\u0001dropped='

export function createCachingProxy(options: ProxyOptions): CachingProxy {
  const opts = resolveProxyOptions(options)
  const cacheOptions: HttpCacheOptions = { ...options }
  for (const name of PROXY_ONLY) delete (cacheOptions as Record<string, unknown>)[name]
  const guard = { forwardedHeaders: options.forwardedHeaders ?? 'key', trustProxy: options.trustProxy }
  const cache = httpCache(cacheOptions, {
    requestSuffix: (req) => {
      const dropped = droppedEndToEnd(req)
      return dropped === '' ? forwardedInputs(req, guard) : `${forwardedInputs(req, guard)}${DROPPED}${dropped}`
    },
  })
  const pool = new Pool(opts.target.origin, {
    connections: opts.connections,
    connect: { timeout: opts.connectTimeoutMs, ...opts.tls },
    headersTimeout: opts.headersTimeoutMs,
    bodyTimeout: opts.bodyTimeoutMs,
  })
  const tunnels = new Set<Duplex>()
  const mount = opts.dashboard
  const dashboard = mount === false ? undefined : createDashboard({ label: `proxy to ${opts.target.origin}`, store: () => cache.store()?.stats(), http: cache.stats })
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const relative = mount === false ? undefined : pathBelow(mount, req.url ?? '/')
    if (relative !== undefined) return dashboard!.serve(req, res, relative)
    cache(req, res, () => forwardToOrigin(req, res, pool, opts))
  }
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => tunnelUpgrade(req, socket, head, opts, tunnels)
  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    dashboard?.close()
    for (const tunnel of tunnels) tunnel.destroy()
    await pool.close()
    await cache.close()
  })())
  return Object.assign(handle, {
    purge: cache.purge,
    purgePrefix: cache.purgePrefix,
    purgeTag: cache.purgeTag,
    stats: cache.stats,
    store: cache.store,
    events: cache.events,
    ready: cache.ready,
    upgrade,
    close,
    listen: (port: number, host = '127.0.0.1') => listenProxy({ handle, upgrade, tunnels, endStreams: () => dashboard?.close(), close }, port, host),
  })
}
