import { isCacheStatusName } from './cache-status.js'
import { checkBoolean, checkFunction, checkInteger, checkLimit, checkOneOf } from '../../src/option-checks.js'
import type { Admission, Store, StoreOptions } from '../../src/index.js'
import type { CacheRequest, KeyOptions } from './cache-key.js'
import { SecondHit } from './second-hit.js'
import { HEURISTICALLY_CACHEABLE, type PolicyOptions } from './freshness.js'

export interface HttpCacheOptions extends KeyOptions, Partial<Omit<StoreOptions, 'dir'>> {
  /**
   * Which responses are stored. 'second-hit' stores a URL's response only
   * from its second miss on (sightings age by half every `admissionWindow`
   * misses), as nginx's
   * `proxy_cache_min_uses 2` does, so a flood of unique URLs stores nothing
   * and cannot push the hot set out of either tier (README "Security"); it
   * costs one more origin call per URL. 'always' stores the first. Applied
   * here, not by the store: a store the middleware opens admits everything
   * it is given, so each stored response reaches disk at once.
   * @default 'second-hit'
   */
  admission?: Admission
  /** A directory to open a store in. Give this or `store`. */
  dir?: string
  /** An open store to use (it is not closed by the middleware). */
  store?: Store
  /**
   * Milliseconds of freshness for a response that states none of its own, of
   * a heuristically cacheable status (200, 203, 204, 206, 300, 301, 308, 404, 405,
   * 410, 414, 501: an error page is not kept unless `ttlByStatus` names its
   * status). @default 0: such responses get heuristic freshness, or none
   */
  ttl?: number
  /** Per-status default TTLs in milliseconds, for responses that state no freshness. */
  ttlByStatus?: Record<number, number>
  /** Apply `ttl`/`ttlByStatus` even over the origin's own Cache-Control and Expires. @default false */
  overrideCacheControl?: boolean
  /**
   * Heuristic freshness (RFC 9111 §4.2.2) for a response of a heuristically
   * cacheable status (RFC 9110 §15.1) with Last-Modified and no explicit
   * freshness: `fraction` of the time since it was last modified, at most
   * `maxSeconds`. `false` for none. @default true: { fraction: 0.1, maxSeconds: 86400 }
   */
  heuristic?: boolean | { fraction?: number; maxSeconds?: number }
  /**
   * Targeted cache-control fields (RFC 9213) this cache obeys, first first:
   * the first with a valid value replaces Cache-Control and Expires for the
   * cache's own decisions (clients still get every field). The first is
   * spillway's own, so an origin can speak to spillway apart from CDNs.
   * @default ['spillway-cache-control', 'cdn-cache-control']
   */
  targetedFields?: string[]
  /** Methods answered from the cache. @default ['GET', 'HEAD'] */
  methods?: Array<'GET' | 'HEAD'>
  /** Only these statuses are stored (when set). */
  statuses?: number[]
  /** Larger responses pass through unstored. @default 8 MiB */
  maxEntryBytes?: number
  /** Builds the cache key. @default host + original URL, with query normalised */
  key?: (req: CacheRequest) => string
  /** Behave as a private cache (RFC 9111 §3.5 `private` responses become storable). @default false */
  private?: boolean
  /** Store responses to requests carrying Authorization. @default false */
  allowAuthorization?: boolean
  /** Store responses to requests carrying Cookie. @default false */
  allowCookies?: boolean
  /** Store responses carrying Set-Cookie. @default false */
  allowSetCookie?: boolean
  /** Response header whose space- or comma-separated words are the entry's tags. @default 'surrogate-key' (Cache-Tag is read too) */
  tagHeader?: string
  /**
   * How long an entry is kept after it goes stale: a request with max-stale,
   * and stale-while-revalidate or stale-if-error, can only be served what is
   * still kept. The disk budget evicts sooner if it must. @default 3600000 (1 hour)
   */
  staleRetentionMs?: number
  /**
   * Serve a stale entry, up to this many seconds past its freshness, when the
   * origin answers 5xx or throws, even without stale-if-error. @default 0
   */
  useStaleOnError?: number
  /**
   * With `useStaleOnError`: a route that has not started its response after
   * this many milliseconds, while a stale entry may stand in, is answered
   * with the stale entry (its late response is dropped). @default 0 (off)
   */
  originTimeoutMs?: number
  /** How long a request waits for another's identical miss before going to the origin itself. @default 5000 */
  lockTimeoutMs?: number
  /**
   * Name this cache gives itself in Cache-Status (RFC 9211 §2): an sf-token
   * (a letter or `*`, then letters, digits, `:`, `/` and `!#$%&'*+-.^_\`|~`),
   * or the cache refuses to start. @default 'spillway'
   */
  cacheStatusName?: string
  /**
   * Requests carrying headers that proxies and frameworks use to say where a
   * request came from (X-Forwarded-Host, -Proto, -Port, -Prefix, -Scheme,
   * -Ssl, Forwarded): 'key' stores their values in the key, as if the
   * response had said Vary on them; 'bypass' passes such requests through
   * unstored; 'ignore' leaves them out of the key, which is safe only where
   * a proxy in front overwrites every one of them. See README "Security".
   * @default 'key'
   */
  forwardedHeaders?: 'key' | 'bypass' | 'ignore'
  /**
   * Whether the app believes forwarded headers from the peer at `address`:
   * the answer is part of the key of a request that carries them. @default
   * Express's compiled `trust proxy` setting where the app has one, else
   * `() => false`
   */
  trustProxy?: (address: string, hop: number) => boolean
}

export type ResolvedHttpCacheOptions = Required<Pick<HttpCacheOptions,
  'ttl' | 'overrideCacheControl' | 'targetedFields' | 'methods' | 'maxEntryBytes' | 'private' | 'allowAuthorization' |
  'allowCookies' | 'allowSetCookie' | 'tagHeader' | 'lockTimeoutMs' | 'cacheStatusName' | 'ttlByStatus' | 'staleRetentionMs' | 'useStaleOnError' | 'originTimeoutMs' | 'forwardedHeaders'>> & {
    /** The HTTP admission: told of each request the cache could not answer, asked before a response is stored. */
    admissionPolicy: { sawMiss(key: string): void; admits(key: string): boolean }
    heuristic: PolicyOptions['heuristic']
  } & Omit<HttpCacheOptions, 'heuristic'>

const THING = 'httpCache'

export function resolveHttpCacheOptions(options: HttpCacheOptions): ResolvedHttpCacheOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${THING} options must be an object`)
  if (options.store === undefined && (typeof options.dir !== 'string' || options.dir.length === 0)) {
    throw new TypeError(`${THING} options.dir must be a directory (or give options.store)`)
  }
  if (options.key !== undefined) checkFunction(THING, 'key', options.key)
  const methods = options.methods ?? ['GET', 'HEAD']
  if (!Array.isArray(methods) || methods.some((m) => m !== 'GET' && m !== 'HEAD')) {
    throw new TypeError(`${THING} options.methods must be a list of 'GET' and 'HEAD'`)
  }
  if (options.statuses !== undefined && (!Array.isArray(options.statuses) || options.statuses.some((s) => !Number.isInteger(s) || s < 100 || s > 599))) {
    throw new TypeError(`${THING} options.statuses must be a list of HTTP statuses (integers from 100 to 599)`)
  }
  for (const name of ['queryAllow', 'queryDeny'] as const) {
    const names = options[name]
    if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) {
      throw new TypeError(`${THING} options.${name} must be a list of query parameter names`)
    }
  }
  if (options.sortQuery !== undefined) checkBoolean(THING, 'sortQuery', options.sortQuery)
  const ttlByStatus = options.ttlByStatus ?? {}
  for (const [status, ttl] of Object.entries(ttlByStatus)) checkInteger(THING, `ttlByStatus[${status}]`, ttl, 0, 2 ** 31)
  return {
    ...options,
    ttl: checkInteger(THING, 'ttl', options.ttl ?? 0, 0, 2 ** 31),
    ttlByStatus,
    overrideCacheControl: checkBoolean(THING, 'overrideCacheControl', options.overrideCacheControl ?? false),
    heuristic: heuristicOf(options.heuristic ?? true),
    targetedFields: targetedFieldsOf(options.targetedFields ?? ['spillway-cache-control', 'cdn-cache-control']),
    methods,
    maxEntryBytes: checkLimit(THING, 'maxEntryBytes', options.maxEntryBytes ?? 8 * 1024 * 1024),
    private: checkBoolean(THING, 'private', options.private ?? false),
    allowAuthorization: checkBoolean(THING, 'allowAuthorization', options.allowAuthorization ?? false),
    allowCookies: checkBoolean(THING, 'allowCookies', options.allowCookies ?? false),
    allowSetCookie: checkBoolean(THING, 'allowSetCookie', options.allowSetCookie ?? false),
    tagHeader: fieldNameOf('tagHeader', options.tagHeader ?? 'surrogate-key'),
    lockTimeoutMs: checkInteger(THING, 'lockTimeoutMs', options.lockTimeoutMs ?? 5000, 0, 600_000),
    originTimeoutMs: checkInteger(THING, 'originTimeoutMs', options.originTimeoutMs ?? 0, 0, 600_000),
    useStaleOnError: checkInteger(THING, 'useStaleOnError', options.useStaleOnError ?? 0, 0, 2 ** 31),
    staleRetentionMs: checkInteger(THING, 'staleRetentionMs', options.staleRetentionMs ?? 3_600_000, 0, 2 ** 31),
    cacheStatusName: checkCacheStatusName(options.cacheStatusName ?? 'spillway'),
    // The store the middleware opens admits all it is given: the HTTP layer has decided already.
    admission: 'always',
    admissionPolicy: admissionOf(checkOneOf<Admission>(THING, 'admission', options.admission ?? 'second-hit', ['always', 'second-hit']),
      checkInteger(THING, 'admissionWindow', options.admissionWindow ?? 100_000, 16, 1 << 30)),
    forwardedHeaders: checkOneOf(THING, 'forwardedHeaders', options.forwardedHeaders ?? 'key', ['key', 'bypass', 'ignore']),
    trustProxy: options.trustProxy === undefined ? undefined : checkFunction(THING, 'trustProxy', options.trustProxy),
  }
}

/** The policy's view of the options (freshness.ts). */
export function policyOptionsOf(opts: ResolvedHttpCacheOptions): PolicyOptions {
  return {
    shared: !opts.private,
    targets: opts.targetedFields,
    heuristic: opts.heuristic,
    // A default TTL for every status would keep an error page for the whole TTL: `ttl` covers the statuses
    // RFC 9110 §15.1 calls heuristically cacheable, `ttlByStatus` any it names.
    defaultTtl: (status) => opts.ttlByStatus[status] ?? (HEURISTICALLY_CACHEABLE.has(status) ? opts.ttl : 0),
    override: opts.overrideCacheControl,
  }
}

function heuristicOf(value: boolean | { fraction?: number; maxSeconds?: number }): PolicyOptions['heuristic'] {
  if (value === false) return false
  if (value === true) return { fraction: 0.1, maxSeconds: 86_400 }
  if (value === null || typeof value !== 'object') throw new TypeError(`${THING} options.heuristic must be true, false or { fraction, maxSeconds }`)
  const fraction = value.fraction ?? 0.1
  if (typeof fraction !== 'number' || !(fraction > 0 && fraction <= 1)) throw new TypeError(`${THING} options.heuristic.fraction must be a number in (0, 1], got ${String(fraction)}`)
  return { fraction, maxSeconds: checkInteger(THING, 'heuristic.maxSeconds', value.maxSeconds ?? 86_400, 0, 2 ** 31) }
}

/** RFC 9110 §5.1: a field name is a token. */
const FIELD_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** Field names, lower case. */
function targetedFieldsOf(names: unknown): string[] {
  if (!Array.isArray(names) || names.some((n) => typeof n !== 'string' || !FIELD_NAME.test(n))) {
    throw new TypeError(`${THING} options.targetedFields must be a list of header field names`)
  }
  return names.map((n: string) => n.toLowerCase())
}

function fieldNameOf(option: string, name: unknown): string {
  if (typeof name !== 'string' || !FIELD_NAME.test(name)) throw new TypeError(`${THING} options.${option} must be a header field name; got ${JSON.stringify(name)}`)
  return name.toLowerCase()
}

/** RFC 9211 §2: the name is the member's identifier, an sf-token; a space, comma or semicolon would break the list for every reader. */
function checkCacheStatusName(name: unknown): string {
  if (!isCacheStatusName(name)) {
    throw new TypeError(`${THING} options.cacheStatusName must be an sf-token (RFC 8941: a letter or '*', then letters, digits and ` +
      `!#$%&'*+-.^_\`|~:/, no spaces, commas, semicolons or quotes); got ${typeof name === 'string' ? JSON.stringify(name) : typeof name}`)
  }
  return name
}

const ADMIT_ALL = { sawMiss: () => {}, admits: () => true }

function admissionOf(admission: Admission, window: number): ResolvedHttpCacheOptions['admissionPolicy'] {
  return admission === 'always' ? ADMIT_ALL : new SecondHit(window)
}
