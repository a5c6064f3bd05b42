import type { HttpCacheStats } from '../core/http-cache.js'

/**
 * Responses by Cache-Status outcome (RFC 9211 §2): the HTTP cache's own
 * count of each (`stats().responses`: hit, stale, revalidated, miss,
 * bypass, error; each response counted once). The one place the dashboard
 * reads them from: the page charts each key as a series and sums them for
 * the request rate.
 */
export function outcomesOf(stats: HttpCacheStats): Record<string, number> {
  return { ...stats.responses }
}
