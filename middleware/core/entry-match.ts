import type { IncomingMessage } from 'node:http'
import type { Store } from '../../src/index.js'
import { decodeCachedResponse, type CachedHead, type CachedResponse } from './cached-response.js'
import type { DecodedEntries } from './decoded-entries.js'
import { acceptsCoding, variantKey, varyFields } from './vary.js'
import { requestDirectives, usable, type Freshness } from './freshness.js'
import { entityTags } from './validators.js'
import { pieceOffset, type PartialContent } from './partial-content.js'
import { requestedRange } from './serve-cached.js'

/** Store keys of HTTP entries start with this. */
export const PREFIX = 'http:'

/** A stored response decoded (no freshness for a URL's Vary marker). */
export type Decoded = CachedResponse & {
  fresh: Freshness | undefined
  /** The fields that picked this variant, parsed once per decoding. */
  varyFields: string[] | '*'
}

export type Found = Decoded | 'uri-miss' | 'vary-miss'

/** Decodes a stored response; undefined when the bytes are not one this version wrote. */
export function decodeEntry(bytes: Buffer): Decoded | undefined {
  const response = decodeCachedResponse(bytes)
  if (response === undefined) return undefined
  const { head } = response
  if (head.status === 0) return { ...response, fresh: undefined, varyFields: [] }
  if (head.fresh === undefined) return undefined
  return { ...response, fresh: head.fresh, varyFields: head.vary ?? varyFields(head.headers.vary) }
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
  if (entry.fresh === undefined || fields === '*' || entry.head.gen !== gen) return false
  const expected = gen !== undefined ? variantKey(key.base, fields, req.headers, key.suffix)
    : fields.length === 0 && key.suffix === '' ? key.base : undefined
  // The URL and Host it was stored for, whatever a custom or flawed key folded together.
  const { head } = entry
  return head.key === expected && head.url === key.base && head.host === (req.headers.host ?? '').toLowerCase() &&
    acceptsCoding(req.headers['accept-encoding'], entry.head.headers['content-encoding'])
}

export type Verdict =
  | { use: 'fresh'; age: number; ttl: number }
  | { use: 'stale-while-revalidate'; age: number; ttl: number }
  | { use: 'origin'; why: 'stale' | 'request' | 'partial'; conditional: Record<string, string> }

/**
 * What a matching entry allows for this request (RFC 9111 §4.2.4, §5.2.1):
 * serve it (at its current age, §4.2.3), serve it and refresh it, or ask
 * the origin, conditionally where it has validators.
 */
export function evaluate(entry: Decoded, req: IncomingMessage, now: number): Verdict {
  // A stored 206 answers only a Range request one of its pieces holds (RFC 9111 §3.4); others go on as misses.
  const { partial } = entry.head
  if (partial !== undefined && !holdsRange(req, entry.head, partial)) return { use: 'origin', why: 'partial', conditional: {} }
  const { use, age, ttl } = usable(entry.fresh!, requestDirectives(req.headers), now)
  if (use === 'fresh' || use === 'stale-while-revalidate') return { use, age, ttl } as Verdict
  return { use: 'origin', why: use, conditional: conditionalHeaders(entry.head, req.headers) }
}

/**
 * The validators a request to revalidate `head` carries (RFC 9111 §4.3.1):
 * its ETag added to the client's own If-None-Match, and its Last-Modified as
 * If-Modified-Since unless the client sent one. A weak ETag or a date is no
 * use where the request needs strong comparison (If-Match,
 * If-Unmodified-Since, Range), so those are left out there.
 */
function conditionalHeaders(head: CachedHead, client: IncomingMessage['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  const etag = single(head.headers.etag)
  const strongOnly = client['if-match'] !== undefined || client['if-unmodified-since'] !== undefined || client.range !== undefined
  if (etag !== undefined && !(strongOnly && etag.startsWith('W/'))) {
    const own = client['if-none-match']
    const tags = own === undefined ? [] : entityTags(own)
    out['if-none-match'] = own === undefined ? etag : tags === '*' || tags.includes(etag) ? own : `${own}, ${etag}`
  }
  const lastModified = single(head.headers['last-modified'])
  if (lastModified !== undefined && !strongOnly && client['if-modified-since'] === undefined) out['if-modified-since'] = lastModified
  return out
}

function holdsRange(req: IncomingMessage, head: CachedHead, partial: PartialContent): boolean {
  const range = requestedRange(req, head, head.headers, partial.total)
  return range !== undefined && range !== 'unsatisfiable' && pieceOffset(partial, range.start, range.end) !== undefined
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
