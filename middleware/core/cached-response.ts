import type { CachePolicyObject } from 'http-cache-semantics'

/**
 * A response as the cache keeps it, one store entry per variant:
 *   u32 LE length of the JSON head | JSON head | body bytes
 * The head holds what serving and revalidating need; the body follows
 * unchanged, so a hit copies it once.
 */
export interface CachedHead {
  /** Entry layout version: a different one is treated as a miss, never misread. */
  v: 1
  status: number
  headers: Record<string, string | string[]>
  /** http-cache-semantics' CachePolicy.toObject(): freshness, validators, Vary. */
  policy: CachePolicyObject
  /** Milliseconds since the epoch when the response was stored. */
  storedAt: number
  /** Set (with status 0 and no body) on a URL's entry whose responses vary: the request fields that pick a variant. */
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
    if (head?.v !== 1 || typeof head.status !== 'number' || typeof head.headers !== 'object') return undefined
    return { head, body: bytes.subarray(end) }
  } catch {
    return undefined
  }
}
