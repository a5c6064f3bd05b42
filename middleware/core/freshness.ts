/**
 * The cache's policy (RFC 9111 §3, §4.2, §5.2; RFC 5861; RFC 9213): whether
 * a response may be stored, and for how long it is fresh, decided once when
 * it arrives and kept with it as a `Freshness`; then, per request, whether
 * the stored response answers it. spillway's own, in place of
 * http-cache-semantics, whose deviations (directive case, `Date.parse`,
 * `immutable` read as 1,000 days, Age, a fixed status list, 304 merging)
 * each needed a patch around it (docs/http-conformance.md). A hit reads
 * three numbers of the stored Freshness and parses nothing of the response.
 */
import { deltaSeconds, fieldNames, NO_DIRECTIVES, parseDirectives, type Directives } from './cache-control.js'
import { parseHttpDate } from './http-date.js'
import { targetedDirectives } from './targeted-fields.js'

/** A response's freshness as stored with it (seconds, except `at`). */
export interface Freshness {
  /** response_time (§4.2.3): when the response was received, ms since the epoch. */
  at: number
  /** corrected_initial_age (§4.2.3) at `at`. */
  age: number
  /** freshness_lifetime (§4.2.1); 0 for a response validated on every use. */
  life: number
  /** The origin's stale-while-revalidate window (RFC 5861 §3). */
  swr?: number
  /** The origin's stale-if-error window (RFC 5861 §4). */
  sie?: number
  /**
   * Limits on stale use. 'never': must-revalidate, no-cache, and in a shared
   * cache proxy-revalidate (§5.2.2.2, §5.2.2.4, §5.2.2.8). 'origin': s-maxage
   * in a shared cache (§5.2.2.10) — only the windows the origin itself gave
   * (stale-while-revalidate, stale-if-error) allow it, not a client's
   * max-stale nor the cache's `useStaleOnError`.
   */
  stale?: 'never' | 'origin'
}

export interface PolicyOptions {
  /** A shared cache (§3.5, s-maxage, private, proxy-revalidate). */
  shared: boolean
  /** Targeted fields (RFC 9213), first in the list first: the first with a valid, non-empty value replaces Cache-Control and Expires. */
  targets: readonly string[]
  /** Heuristic freshness (§4.2.2): this fraction of the time since Last-Modified, at most `maxSeconds`; false for none. */
  heuristic: { fraction: number; maxSeconds: number } | false
  /** Milliseconds of freshness for a response of this status that states none (0: none). */
  defaultTtl(status: number): number
  /** The default TTL replaces the origin's Cache-Control and Expires outright. */
  override: boolean
}

/**
 * The final statuses RFC 9110 §15 defines, whose caching requirements this
 * cache knows: a must-understand response of any other is never stored
 * (RFC 9111 §5.2.2.3).
 */
const UNDERSTOOD: ReadonlySet<number> = new Set([200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403, 404,
  405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 426, 500, 501, 502, 503, 504, 505])

/** RFC 9110 §15.1: statuses a cache may give heuristic freshness. */
export const HEURISTICALLY_CACHEABLE: ReadonlySet<number> = new Set([200, 203, 204, 206, 300, 301, 308, 404, 405, 410, 414, 501])

export type Assessment =
  | { storable: true; fresh: Freshness; directives: Directives; omit: string[] }
  | { storable: false; reason: string }

/** The response's caching directives: a targeted field's (RFC 9213 §2.2), else Cache-Control's. */
function responseDirectives(headers: Record<string, string | string[] | undefined>, targets: readonly string[]): { directives: Directives; targeted: boolean } {
  const targeted = targetedDirectives(headers, targets)
  return targeted !== undefined ? { directives: targeted, targeted: true } : { directives: parseDirectives(headers['cache-control']), targeted: false }
}

/**
 * Whether a final response to a GET may be stored (§3), and its freshness.
 * `requested` and `received` are the times (ms) the request went to the
 * origin and its response came back. A response with no freshness is stored
 * only when it has a validator: each use then revalidates it, and a 304 costs
 * the origin less than the whole response (§3, "caches are not prohibited").
 */
export function assess(status: number, headers: Record<string, string | string[] | undefined>, requested: number, received: number,
  authorized: boolean, o: PolicyOptions): Assessment {
  if (status < 200 || status === 304) return { storable: false, reason: `status ${status} is not stored` }
  const ttl = o.defaultTtl(status)
  const { directives: cc, targeted } = o.override && ttl > 0 ? { directives: NO_DIRECTIVES, targeted: true } : responseDirectives(headers, o.targets)
  // §5.2.2.3: must-understand stores only a status the cache knows, and then in place of no-store, which it is
  // sent beside for caches that do not implement it.
  const mustUnderstand = cc.has('must-understand')
  if (mustUnderstand && !UNDERSTOOD.has(status)) return { storable: false, reason: `must-understand, and status ${status} is not one this cache knows` }
  if (cc.has('no-store') && !mustUnderstand) return { storable: false, reason: 'no-store' }
  const privateFields = fieldNames(cc.get('private'))
  if (o.shared && cc.has('private') && privateFields.length === 0) return { storable: false, reason: 'private' }
  const sMaxAge = o.shared && cc.has('s-maxage')
  // §3.5: a shared cache reuses a response to an authenticated request only where the response says so.
  if (o.shared && authorized && !(cc.has('public') || sMaxAge || cc.has('must-revalidate'))) return { storable: false, reason: 'Authorization' }
  const noCache = cc.get('no-cache')
  const noCacheFields = fieldNames(noCache)
  const expires = targeted ? undefined : headers.expires
  const heuristicAllowed = HEURISTICALLY_CACHEABLE.has(status) || cc.has('public')
  // §3: one of these must allow storing at all; the default TTL is the cache's own extension.
  if (!sMaxAge && !cc.has('max-age') && expires === undefined && ttl <= 0 && !heuristicAllowed) {
    return { storable: false, reason: `status ${status} states no freshness and is not heuristically cacheable` }
  }
  let life: number
  if (noCache !== undefined && noCacheFields.length === 0) life = 0
  else if (sMaxAge) life = deltaSeconds(cc.get('s-maxage')) ?? 0
  else if (cc.has('max-age')) life = deltaSeconds(cc.get('max-age')) ?? 0
  else if (expires !== undefined) life = expiresLifetime(expires, headers.date, received)
  else if (ttl > 0) life = Math.ceil(ttl / 1000)
  else life = o.heuristic === false ? 0 : heuristicLifetime(headers, received, o.heuristic)
  if (life <= 0 && headers.etag === undefined && headers['last-modified'] === undefined) return { storable: false, reason: 'no freshness' }
  const fresh: Freshness = { at: received, age: initialAge(headers.age, requested, received), life }
  const swr = deltaSeconds(cc.get('stale-while-revalidate'))
  const sie = deltaSeconds(cc.get('stale-if-error'))
  if (swr !== undefined) fresh.swr = swr
  if (sie !== undefined) fresh.sie = sie
  if (cc.has('must-revalidate') || (noCache !== undefined && noCacheFields.length === 0) || (o.shared && cc.has('proxy-revalidate'))) fresh.stale = 'never'
  else if (sMaxAge) fresh.stale = 'origin'
  // §5.2.2.4 and §5.2.2.7: the named fields are never sent without revalidation (shared cache: never stored).
  const omit = [...noCacheFields, ...(o.shared ? privateFields : [])]
  return { storable: true, fresh, directives: cc, omit }
}

/** Expires − Date (§4.2.1); an invalid Expires, or more than one, is already expired (§5.3). */
function expiresLifetime(expires: string | string[], date: string | string[] | undefined, received: number): number {
  const expiresAt = parseHttpDate(expires, received)
  if (expiresAt === undefined) return 0
  const dateAt = parseHttpDate(date, received) ?? received
  return Math.max(0, Math.floor((expiresAt - dateAt) / 1000))
}

/** §4.2.2: a fraction of the time since Last-Modified, capped; none without a valid Last-Modified. */
function heuristicLifetime(headers: Record<string, string | string[] | undefined>, received: number, h: { fraction: number; maxSeconds: number }): number {
  const lastModified = parseHttpDate(headers['last-modified'], received)
  if (lastModified === undefined) return 0
  const dateAt = parseHttpDate(headers.date, received) ?? received
  return Math.min(h.maxSeconds, Math.max(0, Math.floor(((dateAt - lastModified) / 1000) * h.fraction)))
}

/**
 * corrected_age_value (§4.2.3): the Age the origin side sent (its first
 * member; a valid non-negative integer, else none, §5.1) plus the response delay. The RFC
 * allows it as the corrected_initial_age; the apparent age (received − Date)
 * is left out because it trusts the origin's clock.
 */
function initialAge(age: string | string[] | undefined, requested: number, received: number): number {
  // §5.1: a list-based Age counts as its first member.
  const first = (Array.isArray(age) ? age[0] : age)?.split(',')[0].trim()
  const ageValue = deltaSeconds(first) ?? 0
  return ageValue + Math.max(0, (received - requested) / 1000)
}

/** current_age (§4.2.3), seconds. */
export function currentAge(fresh: Freshness, now: number): number {
  return fresh.age + Math.max(0, now - fresh.at) / 1000
}

/** What a request's own directives ask (§5.2.1; RFC 5861 §4 for stale-if-error). */
export interface RequestDirectives {
  noCache: boolean
  maxAge?: number
  minFresh?: number
  maxStale?: number
  staleIfError?: number
  onlyIfCached: boolean
}

const NO_REQUEST_DIRECTIVES: RequestDirectives = { noCache: false, onlyIfCached: false }

/** The request's Cache-Control, or Pragma: no-cache where it has none (§5.4). */
export function requestDirectives(headers: { 'cache-control'?: string | string[]; pragma?: string | string[] }): RequestDirectives {
  const field = headers['cache-control']
  if (field === undefined) {
    return headers.pragma !== undefined && parseDirectives(headers.pragma).has('no-cache') ? { noCache: true, onlyIfCached: false } : NO_REQUEST_DIRECTIVES
  }
  const cc = parseDirectives(field)
  const out: RequestDirectives = { noCache: cc.has('no-cache'), onlyIfCached: cc.has('only-if-cached') }
  // An invalid max-age asks for nothing older than now; an invalid max-stale or min-fresh is ignored.
  if (cc.has('max-age')) out.maxAge = deltaSeconds(cc.get('max-age')) ?? 0
  if (cc.has('min-fresh')) out.minFresh = deltaSeconds(cc.get('min-fresh'))
  if (cc.has('max-stale')) out.maxStale = cc.get('max-stale') === true ? Infinity : deltaSeconds(cc.get('max-stale'))
  if (cc.has('stale-if-error')) out.staleIfError = deltaSeconds(cc.get('stale-if-error'))
  return out
}

/**
 * How a stored response may answer a request (§4.2.4, §5.2.1; RFC 5861 §3):
 * 'fresh' (or stale within the client's max-stale), 'stale-while-revalidate',
 * or 'origin' ('request' when the entry was fresh but the request's own
 * directives sent it on). `ttl` is the freshness left, seconds.
 */
export function usable(fresh: Freshness, rq: RequestDirectives, now: number): { use: 'fresh' | 'stale-while-revalidate' | 'stale' | 'request'; age: number; ttl: number } {
  const age = currentAge(fresh, now)
  const ttl = fresh.life - age
  // A max-age=0 request (a browser's reload) always goes on, even at age 0.
  if (rq.noCache || (rq.maxAge !== undefined && (age > rq.maxAge || rq.maxAge === 0)) || (rq.minFresh !== undefined && ttl < rq.minFresh)) {
    return { use: ttl > 0 ? 'request' : 'stale', age, ttl }
  }
  if (ttl > 0) return { use: 'fresh', age, ttl }
  if (fresh.stale === undefined && rq.maxStale !== undefined && -ttl <= rq.maxStale) return { use: 'fresh', age, ttl }
  if (fresh.stale !== 'never' && fresh.swr !== undefined && -ttl <= fresh.swr) return { use: 'stale-while-revalidate', age, ttl }
  return { use: 'stale', age, ttl }
}

/** RFC 5861 §4: the statuses that count as an error. */
const ERRORS = new Set([500, 502, 503, 504])

/**
 * Whether a stale entry may stand in for the origin's error (`status`; 504
 * for a timeout or thrown error): within the origin's stale-if-error, the
 * request's, or the cache's `useStaleOnError` seconds, unless stale use is
 * forbidden (s-maxage allows only the origin's own window).
 */
export function staleIfError(fresh: Freshness, status: number, rq: RequestDirectives, useStaleOnError: number, now: number): boolean {
  if (fresh.stale === 'never' || !ERRORS.has(status)) return false
  const stale = currentAge(fresh, now) - fresh.life
  const windows = fresh.stale === 'origin' ? [fresh.sie ?? -1] : [fresh.sie ?? -1, rq.staleIfError ?? -1, useStaleOnError]
  return stale <= Math.max(...windows)
}
