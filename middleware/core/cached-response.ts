import type { Freshness } from './freshness.js'
import type { PartialContent } from './partial-content.js'

/**
 * A response as the cache keeps it, one store entry per variant:
 *   u32 LE length of the JSON head | JSON head | body bytes
 * The head holds what serving and revalidating need; the body follows
 * unchanged, so a hit copies it once.
 */
export interface CachedHead {
  /** Entry layout version: a different one is treated as a miss, never misread. 2: the policy is freshness.ts' (1 was http-cache-semantics'). */
  v: 2
  status: number
  /** The origin's response header fields, lower-case, as stored (storing-decision.ts). */
  headers: Record<string, string | string[]>
  /** The response's freshness, decided when it arrived (absent on a Vary marker). */
  fresh?: Freshness
  /** The URL's key and the Host the response was stored for: a request for another is never served it, whatever a custom key folded together. */
  url?: string
  host?: string
  /** Milliseconds since the epoch when the response was stored. */
  storedAt: number
  /**
   * On a URL's entry whose responses vary (status 0, no body): the request
   * fields that pick a variant. On a variant: the fields it was keyed by,
   * when it names none in its own Vary but was stored under a marker that
   * does (RFC 9111 §4.1: it is then served only to requests like its own).
   */
  vary?: string[]
  /**
   * The store key (without prefix) the response was stored under: the URL's key,
   * plus the Vary-selected values for a variant. A request is served this
   * entry only if its own key computes to the same (see entry-match.ts).
   */
  key?: string
  /**
   * Variant generation. A URL's marker draws a new one when it is created;
   * its variants carry it. Invalidating a URL deletes the marker, so variants
   * of an older generation are never served again, without listing them.
   */
  gen?: string
  /** On a marker: when (ms since the epoch) the last of its variants stops being kept. */
  until?: number
  /** The entry's tags (Surrogate-Key, Cache-Tag, res.locals.cacheTags), kept so a 304 refresh keeps them. */
  tags?: string[]
  /** On a stored 206 (partial-content.ts): which bytes of the representation the body holds. */
  partial?: PartialContent
}

export interface CachedResponse {
  head: CachedHead
  body: Buffer
}

export function encodeCachedResponse(head: CachedHead, body: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(head), 'utf8')
  const out = Buffer.allocUnsafe(4 + json.byteLength + body.byteLength)
  out.writeUInt32LE(json.byteLength, 0)
  json.copy(out, 4)
  body.copy(out, 4 + json.byteLength)
  return out
}

/** Where the head ends and the body starts in `bytes`, or -1 when they are too short to hold a head. */
export function bodyOffset(bytes: Buffer): number {
  if (bytes.byteLength < 4) return -1
  const end = 4 + bytes.readUInt32LE(0)
  return end > bytes.byteLength ? -1 : end
}

/** The cached response in `bytes`, or undefined when they are not one this version wrote. */
export function decodeCachedResponse(bytes: Buffer): CachedResponse | undefined {
  const end = bodyOffset(bytes)
  if (end < 0) return undefined
  try {
    const head = JSON.parse(bytes.toString('utf8', 4, end)) as CachedHead
    if (head?.v !== 2 || typeof head.status !== 'number' || typeof head.headers !== 'object') return undefined
    return { head, body: bytes.subarray(end) }
  } catch {
    return undefined
  }
}
