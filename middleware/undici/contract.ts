/**
 * undici 7's cache store contract (undici/types/cache-interceptor.d.ts), named
 * once: the types this adapter implements and returns.
 */
import type * as CacheInterceptor from 'undici/types/cache-interceptor.js'

export type CacheKey = CacheInterceptor.default.CacheKey
export type CacheValue = CacheInterceptor.default.CacheValue
export type CacheStore = CacheInterceptor.default.CacheStore
export type GetResult = CacheInterceptor.default.GetResult
export type CacheControlDirectives = CacheInterceptor.default.CacheControlDirectives
