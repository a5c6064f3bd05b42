/**
 * `spillway/express`: HTTP response caching for Express 4 and 5 and Connect.
 *
 *   import { httpCache } from 'spillway/express'
 *   const cache = httpCache({ dir: './.cache/http' })
 *   app.use('/_spillway', cache.dashboard())   // the live dashboard, before the cache
 *   app.use(cache)
 */
import { httpCache as cacheCore, type HttpCacheMiddleware as CoreMiddleware } from './core/http-cache.js'
import type { HttpCacheOptions } from './core/options.js'
import { createDashboard, type Dashboard, type DashboardOptions } from './dashboard/dashboard.js'

export type { HttpCacheControls, HttpCacheStats, HttpOutcome, OriginLatency } from './core/http-cache.js'
export type { HttpCacheOptions } from './core/options.js'
export type { CacheRequest, KeyOptions } from './core/cache-key.js'
export type { Dashboard, DashboardOptions } from './dashboard/dashboard.js'

export type HttpCacheMiddleware = CoreMiddleware & {
  /**
   * A handler that serves the live dashboard of this cache (its stats() and
   * its store's, drawn over time) where it is mounted:
   * `app.use('/_spillway', cache.dashboard())`. Mount it before the cache,
   * and behind whatever guards your admin pages. close() ends its event
   * streams.
   */
  dashboard(options?: DashboardOptions): Dashboard
}

/** RFC 9111 shared-cache middleware over a spillway store: see middleware/core/http-cache.ts. */
export function httpCache(options: HttpCacheOptions): HttpCacheMiddleware {
  const cache = cacheCore(options) as HttpCacheMiddleware
  const dashboards = new Set<Dashboard>()
  const closeCache = cache.close
  cache.dashboard = (dashboardOptions) => {
    const dashboard = createDashboard({ label: 'HTTP cache', store: () => cache.store()?.stats(), http: cache.stats }, dashboardOptions)
    dashboards.add(dashboard)
    return dashboard
  }
  cache.close = async () => {
    for (const dashboard of dashboards) dashboard.close()
    await closeCache()
  }
  return cache
}
