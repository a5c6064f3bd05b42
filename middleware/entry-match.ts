import type { IncomingMessage } from 'node:http'
import type CachePolicy from 'http-cache-semantics'
import type { Store } from '../src/index.js'
import { decodeCachedResponse, type CachedResponse } from './cached-response.js'
import type { DecodedEntries } from './decoded-entries.js'
import { acceptsCoding, normalisedValue, variantKey, varyFields } from './vary.js'

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
  const noStaleUse = mustRevalidate !== undefined || (shared && rescc['proxy-revalidate'] !== undefined)
  return { ...response, policy: fromObject({ ...object, rescc }), noStaleUse, varyFields: varyFields(response.head.headers.vary) }
}

/**
 * The one lookup every serving path goes through (DESIGN.md, "Never serve
 * what a fresh lookup would refuse"): the URL's entry, or through its Vary
 * marker the variant of this request's generation; then `matches`.
 * Synchronous: a hit is served without a turn of the microtask queue.
 */
export function lookupEntry(s: Store, decoded: DecodedEntries<Decoded>, key: string, req: IncomingMessage): Found {
  const uri = decoded.get(PREFIX + key, s.getSync(PREFIX + key))
  if (uri === undefined) return 'uri-miss'
  let entry = uri
  if (uri.head.status === 0) {
    const storeKey = PREFIX + variantKey(key, uri.head.vary ?? [], req.headers)
    const variant = decoded.get(storeKey, s.getSync(storeKey))
    if (variant === undefined || variant.head.gen !== uri.head.gen) return 'vary-miss'
    entry = variant
  }
  return matches(entry, key, req) ? entry : 'vary-miss'
}

/**
 * Whether a stored response answers this request as a fresh one would
 * (RFC 9111 §4, §4.1): it was stored under the key this request computes,
 * with the same values of the fields its own Vary names, and its
 * content-coding is one the request accepts (RFC 9110 §12.5.3).
 */
export function matches(entry: Decoded, key: string, req: IncomingMessage): boolean {
  const fields = entry.varyFields
  if (entry.policy === undefined || fields === '*') return false
  // The policy's own request: the URL and Host it was stored for (RFC 9111 §4: the target URI matches),
  // whatever a custom or flawed key folded together.
  const stored = entry.head.policy as { u?: string; h?: string }
  return entry.head.key === variantKey(key, fields, req.headers) && stored.u === key && (stored.h ?? '').toLowerCase() === (req.headers.host ?? '').toLowerCase() &&
    acceptsCoding(req.headers['accept-encoding'], entry.head.headers['content-encoding'])
}

const NORMALISED = ['accept-encoding', 'accept-language', 'accept-charset']

/** The request as the policy sees it: Vary-selected fields normalised as variant keys have them. */
export function policyRequest(req: IncomingMessage, key: string): CachePolicy.Request {
  const raw = req.headers
  const host = raw.host?.toLowerCase()
  // The common request needs no copy: a lower-case Host and none of the normalised fields.
  if (host === raw.host && NORMALISED.every((name) => raw[name] === undefined)) return { method: 'GET', url: key, headers: raw as CachePolicy.Headers }
  const headers: Record<string, string | string[] | undefined> = { ...raw, host }
  for (const name of NORMALISED) if (headers[name] !== undefined) headers[name] = normalisedValue(name, headers[name])
  return { method: 'GET', url: key, headers: headers as CachePolicy.Headers }
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
