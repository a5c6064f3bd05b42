import type { HttpCacheStats } from '../core/http-cache.js'

/**
 * Responses by Cache-Status outcome (RFC 9211 §2), from the HTTP cache's
 * counters: the one place that maps them, so the page and its series follow
 * whatever this returns. The page charts each key as a series and sums them
 * for the request rate.
 *
 * HttpCacheStats counts no outcome as such today, so this derives them:
 * `hit` is a fresh hit answered at once, `collapsed` one answered after
 * waiting for another request's fetch (both count in `hits`), `stale` a
 * stale response served (stale-while-revalidate, or stale-if-error after the
 * origin failed, which `misses` counts too), `miss` a request forwarded to the
 * origin (revalidations included), `bypass` one the cache did not look up.
 */
export function outcomesOf(stats: HttpCacheStats): Record<string, number> {
  return {
    hit: stats.hits - stats.coalesced,
    collapsed: stats.coalesced,
    stale: stats.stale,
    miss: stats.misses,
    bypass: stats.bypasses,
  }
}
