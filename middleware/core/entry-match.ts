import type { IncomingMessage } from 'node:http'
import CachePolicy from 'http-cache-semantics'
import type { Store } from '../../src/index.js'
import { decodeCachedResponse, type CachedResponse } from './cached-response.js'
import type { DecodedEntries } from './decoded-entries.js'
import { acceptsCoding, normalisedValue, variantKey, varyFields } from './vary.js'
import { isLowerCase, withLowerCaseDirectives } from './directive-case.js'

/** Store keys of HTTP entries start with this. */
export const PREFIX = 'http:'

/** A stored response decoded, with its policy (none for a URL's Vary marker). */
export type Decoded = CachedResponse & {
  policy: CachePolicy | undefined
  /** must-revalidate, or proxy-revalidate in a shared cache: never served stale, whatever allows it (RFC 9111 §5.2.2.2, §5.2.2.8). */
  noStaleUse: boolean
  /** The fields the response's own Vary names, parsed once per decoding. */
  varyFields: string[] | '*'
}

export type Found = Decoded | 'uri-miss' | 'vary-miss'

/**
 * http-cache-semantics' CachePolicy on the given clock (it reads the time
 * through now(), untyped but part of its class), so the store's injected
 * clock governs both. In a shared cache the library gives proxy-revalidate
 * no freshness at all; RFC 9111 §5.2.2.8 only forbids stale use, which
 * `noStaleUse` carries (read from the headers), so the directive is left out
 * of the freshness computation.
 */
export function policyClass(clock: () => number): typeof CachePolicy {
  return class Policy extends CachePolicy {
    constructor(...args: ConstructorParameters<typeof CachePolicy>) {
      super(...args)
      delete (this as unknown as { _rescc: Record<string, unknown> })._rescc['proxy-revalidate']
    }

    now(): number {
      return clock()
    }

    /**
     * The library's responseHeaders (4.3: hop-by-hop fields dropped, the RFC
     * 7234 §5.5.4 warning 113 on an old heuristic response, Age and Date
     * updated), but with Date formatted once per second (`httpDate`), not
     * once per hit: on a hit, the library's toUTCString was the costliest step.
     */
    override responseHeaders(): CachePolicy.Headers {
      const self = this as unknown as PolicyInternals
      const headers = self._copyWithoutHopByHopHeaders(self._resHeaders)
      const age = this.age()
      if (age > DAY_S && !self._hasExplicitExpiration() && this.maxAge() > DAY_S) {
        headers.warning = `${headers.warning !== undefined ? `${String(headers.warning)}, ` : ''}113 - "rfc7234 5.5.4"`
      }
      headers.age = `${Math.round(age)}`
      headers.date = httpDate(this.now())
      return headers
    }
  }
}

/** The parts of http-cache-semantics' CachePolicy (4.3) that responseHeaders uses, not in its types. */
interface PolicyInternals {
  _resHeaders: CachePolicy.Headers
  _copyWithoutHopByHopHeaders(headers: CachePolicy.Headers): CachePolicy.Headers
  _hasExplicitExpiration(): boolean
}

const DAY_S = 24 * 3600

let dateSecond = NaN
let dateText = ''

/** IMF-fixdate of `ms` (RFC 9110 §5.6.7), which has whole seconds: the same text for a whole second, so kept for it. */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== dateSecond) {
    dateText = new Date(ms).toUTCString()
    dateSecond = second
  }
  return dateText
}

/**
 * Decodes a stored response. The policy is built without must-revalidate:
 * http-cache-semantics (4.3) treats it as "always revalidate", even while
 * fresh; `noStaleUse` carries it instead, and `evaluate` applies it when stale.
 */
export function decodeEntry(bytes: Buffer, fromObject: (o: CachePolicy.CachePolicyObject) => CachePolicy, shared: boolean): Decoded | undefined {
  const response = decodeCachedResponse(bytes)
  if (response === undefined) return undefined
  if (response.head.status === 0) return { ...response, policy: undefined, noStaleUse: false, varyFields: [] }
  const object = response.head.policy as CachePolicy.CachePolicyObject & { rescc: Record<string, string | true> }
  const { 'must-revalidate': mustRevalidate, ...rescc } = object.rescc ?? {}
  const cacheControl = response.head.headers['cache-control']
  const noStaleUse = mustRevalidate !== undefined ||
    (shared && /(?:^|,)\s*proxy-revalidate\s*(?:,|$)/i.test(Array.isArray(cacheControl) ? cacheControl.join(',') : cacheControl ?? ''))
  return { ...response, policy: fromObject({ ...object, rescc }), noStaleUse, varyFields: varyFields(response.head.headers.vary) }
}

/**
 * What a request is looked up by. `base` is the URL's key: invalidation
 * computes it from the URL, and its entry is the response or the Vary marker.
 * `suffix` holds request inputs keyed as if the response had named them in
 * Vary (forwarded headers the framework trusts): a request with any goes to a
 * variant under the marker, so invalidating the URL covers it too.
 */
export interface RequestKey {
  base: string
  suffix: string
}

/** The key coalescing and background refresh go by: one fetch per URL and suffix. */
export function flightKey(key: RequestKey): string {
  return key.suffix === '' ? key.base : `${key.base}\u0001${key.suffix}`
}

/**
 * The one lookup every serving path goes through (DESIGN.md, "Never serve
 * what a fresh lookup would refuse"): the URL's entry, or through its Vary
 * marker the variant of this request, of the marker's generation; then
 * `matches`. Synchronous: a hit is served without a turn of the microtask queue.
 */
export function lookupEntry(s: Store, decoded: DecodedEntries<Decoded>, key: RequestKey, req: IncomingMessage): Found {
  const uriKey = PREFIX + key.base
  const uri = decoded.get(uriKey, s.getSync(uriKey))
  if (uri === undefined) return 'uri-miss'
  if (uri.head.status !== 0) return matches(uri, key, req, undefined) ? uri : 'vary-miss'
  const storeKey = PREFIX + variantKey(key.base, uri.head.vary ?? [], req.headers, key.suffix)
  const variant = decoded.get(storeKey, s.getSync(storeKey))
  return variant !== undefined && matches(variant, key, req, uri.head.gen) ? variant : 'vary-miss'
}

/**
 * Whether a stored response answers this request as a fresh one would
 * (RFC 9111 §4, §4.1): it was stored under the key this request computes
 * from the fields the response's own Vary names (at the URL's key only if it
 * names none and the request has no suffix; under the marker, of the marker's
 * generation `gen`), for the same URL and Host, and its content-coding is one
 * the request accepts (RFC 9110 §12.5.3).
 */
function matches(entry: Decoded, key: RequestKey, req: IncomingMessage, gen: string | undefined): boolean {
  const fields = entry.varyFields
  if (entry.policy === undefined || fields === '*' || entry.head.gen !== gen) return false
  const expected = gen !== undefined ? variantKey(key.base, fields, req.headers, key.suffix)
    : fields.length === 0 && key.suffix === '' ? key.base : undefined
  // The policy's own request: the URL and Host it was stored for, whatever a custom or flawed key folded together.
  const stored = entry.head.policy as { u?: string; h?: string }
  return entry.head.key === expected && stored.u === key.base && (stored.h ?? '').toLowerCase() === (req.headers.host ?? '').toLowerCase() &&
    acceptsCoding(req.headers['accept-encoding'], entry.head.headers['content-encoding'])
}

// policyRequest's fast path tests these three by name, without a loop: keep the two in step.
const NORMALISED = ['accept-encoding', 'accept-language', 'accept-charset']

/** The request as the policy sees it: Vary-selected fields normalised as variant keys have them. */
export function policyRequest(req: IncomingMessage, key: string): CachePolicy.Request {
  const raw = req.headers
  const host = raw.host?.toLowerCase()
  // The common request needs no copy: a lower-case Host and directives, and none of the normalised fields.
  if (host === raw.host && raw['accept-encoding'] === undefined && raw['accept-language'] === undefined && raw['accept-charset'] === undefined &&
    isLowerCase(raw['cache-control']) && isLowerCase(raw.pragma)) {
    return { method: 'GET', url: key, headers: raw as CachePolicy.Headers }
  }
  const headers: Record<string, string | string[] | undefined> = { ...raw, host }
  for (const name of NORMALISED) if (headers[name] !== undefined) headers[name] = normalisedValue(name, headers[name])
  return { method: 'GET', url: key, headers: withLowerCaseDirectives(headers) as CachePolicy.Headers }
}

export type Verdict =
  | { use: 'fresh'; headers: Record<string, string | string[]>; ttl: number }
  | { use: 'stale-while-revalidate'; headers: Record<string, string | string[]>; ttl: number }
  | { use: 'origin'; revalidationHeaders: CachePolicy.Headers }

/** What a matching entry allows for this request: serve it, serve it and refresh, or ask the origin (conditionally). */
export function evaluate(entry: Decoded, req: CachePolicy.Request): Verdict {
  const policy = entry.policy!
  const verdict = policy.evaluateRequest(req)
  const ttl = policy.maxAge() - policy.age()
  if (verdict.response !== undefined && !(entry.noStaleUse && policy.stale())) {
    const headers = verdict.response.headers as Record<string, string | string[]>
    if (verdict.revalidation === undefined) return { use: 'fresh', headers, ttl }
    if (!verdict.revalidation.synchronous) return { use: 'stale-while-revalidate', headers, ttl }
  }
  return { use: 'origin', revalidationHeaders: verdict.revalidation?.headers ?? policy.revalidationHeaders(req) }
}
