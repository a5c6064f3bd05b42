/**
 * `spillway/express`: HTTP response caching for Express 4 and 5 and Connect.
 *
 *   import { httpCache } from 'spillway/express'
 *   app.use(httpCache({ dir: './.cache/http' }))
 */
export { httpCache } from './core/http-cache.js'
export type { HttpCacheControls, HttpCacheMiddleware, HttpCacheStats, HttpOutcome, OriginLatency } from './core/http-cache.js'
export type { HttpCacheOptions } from './core/options.js'
export type { CacheRequest, KeyOptions } from './core/cache-key.js'
