import type { CacheKey, CacheValue } from './contract.js'

/** undici's own stores refuse the same shapes with TypeErrors (lib/util/cache.js assertCacheKey). */
export function checkKey(key: CacheKey): void {
  if (key === null || typeof key !== 'object') throw new TypeError(`expected key to be object, got ${key === null ? 'null' : typeof key}`)
  for (const field of ['origin', 'method', 'path'] as const) {
    if (typeof key[field] !== 'string') throw new TypeError(`expected key.${field} to be string, got ${typeof key[field]}`)
  }
  if (key.headers !== undefined && (key.headers === null || typeof key.headers !== 'object')) {
    throw new TypeError(`expected key.headers to be object, got ${key.headers === null ? 'null' : typeof key.headers}`)
  }
}

export function checkValue(value: CacheValue): void {
  if (value === null || typeof value !== 'object') throw new TypeError(`expected value to be object, got ${value === null ? 'null' : typeof value}`)
  for (const field of ['statusCode', 'cachedAt', 'staleAt', 'deleteAt'] as const) {
    if (typeof value[field] !== 'number') throw new TypeError(`expected value.${field} to be number, got ${typeof value[field]}`)
  }
  if (typeof value.statusMessage !== 'string') throw new TypeError(`expected value.statusMessage to be string, got ${typeof value.statusMessage}`)
  if (value.headers !== undefined && value.headers !== null && typeof value.headers !== 'object') {
    throw new TypeError(`expected value.headers to be object, got ${typeof value.headers}`)
  }
  if (value.vary !== undefined && typeof value.vary !== 'object') throw new TypeError(`expected value.vary to be object, got ${typeof value.vary}`)
  if (value.etag !== undefined && typeof value.etag !== 'string') throw new TypeError(`expected value.etag to be string, got ${typeof value.etag}`)
}
