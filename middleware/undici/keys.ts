import crypto from 'node:crypto'

/**
 * Store keys of the undici cache store (layout in ../undici-store.ts).
 *
 * A URL's marker lives under `undici\0<origin>\0<method>\0<path>`; each of its
 * variants under the marker's key, the marker's generation, and the values of
 * the request fields the response varies on (RFC 9111 §4.1), as undici
 * recorded them. The key only finds a candidate: the entry it holds is
 * matched again, field by field, before anything is served, so a digest
 * collision or a foreign value under the key is a miss, never a wrong hit.
 */

/** The prefix of every key this adapter writes, so its keys never meet another front end's. */
export const KEY_PREFIX = 'undici\u0000'

/** Longer key material is replaced by its SHA-256: keys stay far below the store's 65,535-byte limit. */
const MAX_EMBEDDED_CHARS = 1024

/** A key whose UTF-8 may exceed this is not cached (the store's limit is 65,535 bytes; the variant part is short). */
const MAX_BASE_BYTES = 60_000

/** The fields of undici's CacheKey that name a resource. */
export interface ResourceKey {
  origin: string
  method: string
  path: string
}

/** A request field's value as undici records it for Vary: absent is null, never an empty string. */
export type VaryValue = string | string[] | null

/** The key of the URL's marker, or undefined when the URL is too long to be cached. */
export function markerKey(key: ResourceKey): string | undefined {
  const base = `${KEY_PREFIX}${key.origin}\u0000${key.method}\u0000${key.path}`
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a long key needs counting.
  if (base.length * 3 > MAX_BASE_BYTES && Buffer.byteLength(base) > MAX_BASE_BYTES) return undefined
  return base
}

/**
 * The key of the variant of generation `generation` whose Vary `fields` (sorted
 * names) have the values `valueOf` gives.
 */
export function variantKey(marker: string, generation: string, fields: readonly string[], valueOf: (field: string) => VaryValue): string {
  if (fields.length === 0) return `${marker}\u0000${generation}`
  const values: VaryValue[] = new Array(fields.length)
  for (let i = 0; i < fields.length; i++) values[i] = valueOf(fields[i])
  const text = JSON.stringify(values)
  if (text.length <= MAX_EMBEDDED_CHARS) return `${marker}\u0000${generation}\u0000j${text}`
  return `${marker}\u0000${generation}\u0000h${crypto.createHash('sha256').update(text).digest('base64url')}`
}

/** A request header's value as Vary compares it: own properties only, absent as null. */
export function requestValue(headers: Record<string, unknown> | undefined, field: string): VaryValue {
  if (headers === undefined || headers === null || !Object.hasOwn(headers, field)) return null
  const value = headers[field]
  if (value === undefined || value === null) return null
  return value as string | string[]
}

/** A fresh generation: a URL's variants from before a delete are never found again. */
export function newGeneration(): string {
  return crypto.randomBytes(9).toString('base64url')
}

/**
 * Whether a request value and a recorded one are the same, as undici's own
 * stores compare them: exactly, with absent equal only to absent, and lists
 * item by item. No normalisation, so a value is never served to a request
 * whose field differs in any way.
 */
export function sameVaryValue(request: VaryValue, recorded: unknown): boolean {
  if (request === null || recorded === null || recorded === undefined) return request === null && (recorded === null || recorded === undefined)
  if (Array.isArray(request) || Array.isArray(recorded)) {
    if (!Array.isArray(request) || !Array.isArray(recorded) || request.length !== recorded.length) return false
    for (let i = 0; i < request.length; i++) if (request[i] !== recorded[i]) return false
    return true
  }
  return request === recorded
}
