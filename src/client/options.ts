import { SpillwayError } from '../errors.js'
import { checkFunction, checkInteger } from '../option-checks.js'
import type { BackgroundOperation, StoreOptions } from '../store/options.js'
import type { SerializerOption } from './serializers.js'

/** What a Cache reports to `onError`: work no caller awaits, or a problem that was turned into a miss. */
export type CacheErrorOperation =
  /** A stale-while-revalidate refresh in the background: its loader threw, or its value could not be encoded. */
  | 'refresh'
  /** A stored entry could not be decoded (another serializer's, a plain Store.set's, or bytes the serializer refuses): it counted as a miss. */
  | 'decode'
  /** A loaded value could not be stored (a full disk, a value over the journal size): getOrSet still returned it. */
  | 'store'
  /** The store's own background work (openCache's store only): see StoreOptions.onError. */
  | BackgroundOperation

export interface CacheErrorContext {
  operation: CacheErrorOperation
  /** The caller's key (without its namespace); undefined for the store's background work. */
  key?: string
  /** The namespace path ("a", "a/b"), or "" at the root; undefined for the store's background work. */
  namespace?: string
}

export interface CacheClientOptions<T> {
  /**
   * How values become bytes: 'raw' (Buffers, Uint8Arrays, strings), 'json'
   * (strict: plain JSON values only), 'v8' (node:v8 structured clone),
   * 'msgpack' (msgpackr with structured-clone extensions), or your own
   * `{ encode, decode }`. msgpack is the default: it gives back what v8
   * does (Dates, Maps, Sets, BigInts, Buffers, cycles), decodes faster here
   * (bench/client.ts), and its bytes do not depend on the Node version.
   * @default 'msgpack'
   */
  serializer?: SerializerOption<T>
  /**
   * Told of failures no caller sees: background refreshes, entries that
   * failed to decode (served as misses), loaded values that could not be
   * stored; and, for openCache's store, the store's background failures
   * (StoreOptions.onError). What it throws is ignored.
   * @default none
   */
  onError?: (error: Error, context: CacheErrorContext) => void
  /**
   * How long one process's getOrSet load holds its key's lease at most. Other
   * processes wait for the holder until it stores its value, fails or dies,
   * or until this runs out; then they load themselves.
   * @default 30000
   */
  leaseMs?: number
}

export interface CacheOptions<T> extends Omit<StoreOptions, 'onError'>, CacheClientOptions<T> {}

/** Options of set, setMany entries and getOrSet. */
export interface CacheSetOptions {
  /** Milliseconds the value is fresh. @default fresh until deleted or evicted */
  ttl?: number
  /** Tags for purgeTag, scoped to the cache's namespace. */
  tags?: string[]
  /**
   * Milliseconds past `ttl` during which getOrSet serves the stale value and
   * refreshes it in the background, one refresh at a time among processes.
   * Needs a ttl. @default 0
   */
  staleWhileRevalidate?: number
  /** Milliseconds past `ttl` during which getOrSet serves the stale value when its loader throws. Needs a ttl. @default 0 */
  staleIfError?: number
}

export interface ResolvedCallOptions {
  ttl: number | undefined
  tags: readonly string[] | undefined
  staleWhileRevalidate: number
  staleIfError: number
}

const THING = 'Cache'
export const NO_CALL_OPTIONS: ResolvedCallOptions = Object.freeze({ ttl: undefined, tags: undefined, staleWhileRevalidate: 0, staleIfError: 0 })

export function resolveClientOptions<T>(options: CacheClientOptions<T>): { onError: CacheClientOptions<T>['onError']; leaseMs: number } {
  if (options === null || typeof options !== 'object') throw new TypeError(`${THING} options must be an object`)
  return {
    onError: options.onError === undefined ? undefined : checkFunction(THING, 'onError', options.onError),
    leaseMs: checkInteger(THING, 'leaseMs', options.leaseMs ?? 30_000, 1, 2 ** 31 - 1),
  }
}

/** Checks a call's options; throws ERR_VALUE_INVALID naming the call and the option. */
export function resolveCallOptions(call: string, options: unknown): ResolvedCallOptions {
  if (options === undefined) return NO_CALL_OPTIONS
  if (options === null || typeof options !== 'object') {
    throw new SpillwayError('ERR_VALUE_INVALID', `${call} options must be an object; got ${options === null ? 'null' : typeof options}`)
  }
  const { ttl, tags, staleWhileRevalidate, staleIfError } = options as CacheSetOptions
  if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl))) {
    throw new SpillwayError('ERR_VALUE_INVALID', `${call} options.ttl must be a positive, finite number of milliseconds; got ${String(ttl)}`)
  }
  const window = (name: string, value: unknown): number => {
    if (value === undefined) return 0
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new SpillwayError('ERR_VALUE_INVALID', `${call} options.${name} must be a non-negative, finite number of milliseconds; got ${String(value)}`)
    }
    if (value > 0 && ttl === undefined) {
      throw new SpillwayError('ERR_VALUE_INVALID', `${call} options.${name} needs options.ttl: a value without one never goes stale`)
    }
    return value
  }
  return { ttl, tags: checkTags(call, tags), staleWhileRevalidate: window('staleWhileRevalidate', staleWhileRevalidate), staleIfError: window('staleIfError', staleIfError) }
}

/** Tags as the store takes them (non-empty, well-formed, no NUL), checked here so the message names the caller's tag, not its stored form. */
export function checkTags(call: string, tags: unknown): readonly string[] | undefined {
  if (tags === undefined) return undefined
  if (!Array.isArray(tags)) throw new SpillwayError('ERR_VALUE_INVALID', `${call} options.tags must be an array of strings; got ${tags === null ? 'null' : typeof tags}`)
  for (const tag of tags) checkTag(call, tag)
  return tags.length === 0 ? undefined : tags
}

export function checkTag(call: string, tag: unknown): asserts tag is string {
  if (typeof tag !== 'string' || tag.length === 0 || tag.includes('\0') || !tag.isWellFormed()) {
    throw new SpillwayError('ERR_VALUE_INVALID', `${call}: each tag must be a non-empty, well-formed string without NUL; got ${typeof tag === 'string' ? JSON.stringify(tag) : tag === null ? 'null' : typeof tag}`)
  }
}
