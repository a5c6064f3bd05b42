import type { CacheKey, CacheValue } from '../../middleware/undici/contract.js'

/* Keys and values for the tests, without node:test: child processes import these too. */

/** Small journals: a test directory stays a few megabytes. */
export const SMALL = { journalBytes: 1 << 20, maxDiskBytes: 4 << 20 } as const

export function keyOf(path: string, headers: Record<string, string | string[]> = {}, method = 'GET'): CacheKey {
  return { origin: 'http://origin.test', method, path, headers }
}

export function valueOf(now: number, fields: Partial<CacheValue> = {}): CacheValue {
  return { statusCode: 200, statusMessage: 'OK', headers: { 'content-type': 'text/plain' }, cacheControlDirectives: {}, cachedAt: now, staleAt: now + 10_000, deleteAt: now + 20_000, ...fields }
}

