import type { CacheControlDirectives, CacheKey, CacheValue } from './contract.js'

/**
 * The bytes of the undici store's values. Every value starts with a header:
 *
 *   magic    4 bytes  "SWUC"
 *   version  1 byte   1
 *   kind     1 byte   1 = marker, 2 = response
 *   length   4 bytes  little-endian byte length of the JSON that follows
 *   json     UTF-8    marker: { generation, fields }
 *                     response: { origin, method, path, statusCode, statusMessage,
 *                                 headers, vary?, etag?, cacheControlDirectives?,
 *                                 cachedAt, staleAt, deleteAt, bodyBytes }
 *   body     the rest, exactly bodyBytes long (responses only)
 *
 * Decoding checks every part and every field's type; anything else (an
 * older version, a value another writer put under the key, a truncated
 * value) decodes as undefined, which the store treats as a miss. A
 * response also names its origin, method and path, compared with the
 * request's before it is served.
 */

const MAGIC = 0x43555753 // "SWUC" read little-endian
const VERSION = 1
const KIND_MARKER = 1
const KIND_RESPONSE = 2
const HEADER_BYTES = 10

/** A URL's marker: the generation of its variants and the Vary fields that tell them apart (sorted). */
export interface Marker {
  generation: string
  fields: string[]
}

/** A stored response, decoded: what undici gave, where it came from, and its body. */
export interface StoredResponse extends CacheValue {
  origin: string
  method: string
  path: string
  body: Buffer
}

function framed(kind: number, meta: unknown, body?: readonly Buffer[], bodyBytes = 0): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8')
  const out = Buffer.allocUnsafe(HEADER_BYTES + json.byteLength + bodyBytes)
  out.writeUInt32LE(MAGIC, 0)
  out[4] = VERSION
  out[5] = kind
  out.writeUInt32LE(json.byteLength, 6)
  json.copy(out, HEADER_BYTES)
  let at = HEADER_BYTES + json.byteLength
  if (body !== undefined) for (const chunk of body) at += chunk.copy(out, at)
  return out
}

export function encodeMarker(marker: Marker): Buffer {
  return framed(KIND_MARKER, { generation: marker.generation, fields: marker.fields })
}

/** The response `value` with the body `chunks` (of `bodyBytes` bytes in all), for `key`. */
export function encodeResponse(key: CacheKey, value: CacheValue, chunks: readonly Buffer[], bodyBytes: number): Buffer {
  return framed(KIND_RESPONSE, {
    origin: key.origin,
    method: key.method,
    path: key.path,
    statusCode: value.statusCode,
    statusMessage: value.statusMessage,
    headers: value.headers ?? {},
    vary: value.vary ?? undefined,
    etag: value.etag,
    cacheControlDirectives: value.cacheControlDirectives,
    cachedAt: value.cachedAt,
    staleAt: value.staleAt,
    deleteAt: value.deleteAt,
    bodyBytes,
  }, chunks, bodyBytes)
}

/** The JSON part of a value of `kind`, or undefined when the bytes are not one. */
function metaOf(bytes: Buffer, kind: number): { meta: Record<string, unknown>; end: number } | undefined {
  if (bytes.byteLength < HEADER_BYTES || bytes.readUInt32LE(0) !== MAGIC || bytes[4] !== VERSION || bytes[5] !== kind) return undefined
  const end = HEADER_BYTES + bytes.readUInt32LE(6)
  if (end > bytes.byteLength) return undefined
  let meta: unknown
  try {
    meta = JSON.parse(bytes.toString('utf8', HEADER_BYTES, end))
  } catch {
    return undefined
  }
  return isObject(meta) ? { meta, end } : undefined
}

export function decodeMarker(bytes: Buffer): Marker | undefined {
  const parsed = metaOf(bytes, KIND_MARKER)
  if (parsed === undefined) return undefined
  const { generation, fields } = parsed.meta
  if (typeof generation !== 'string' || generation.length === 0 || !Array.isArray(fields) || !fields.every((f) => typeof f === 'string')) return undefined
  return { generation, fields: fields as string[] }
}

export function decodeResponse(bytes: Buffer): StoredResponse | undefined {
  const parsed = metaOf(bytes, KIND_RESPONSE)
  if (parsed === undefined) return undefined
  const m = parsed.meta
  if (typeof m.origin !== 'string' || typeof m.method !== 'string' || typeof m.path !== 'string') return undefined
  if (!Number.isInteger(m.statusCode) || (m.statusCode as number) < 100 || (m.statusCode as number) > 999) return undefined
  if (typeof m.statusMessage !== 'string' || !isFieldMap(m.headers, false)) return undefined
  if (m.vary !== undefined && !isFieldMap(m.vary, true)) return undefined
  if (m.etag !== undefined && typeof m.etag !== 'string') return undefined
  if (m.cacheControlDirectives !== undefined && !isObject(m.cacheControlDirectives)) return undefined
  if (!isTime(m.cachedAt) || !isTime(m.staleAt) || !isTime(m.deleteAt)) return undefined
  if (m.bodyBytes !== bytes.byteLength - parsed.end) return undefined
  return {
    origin: m.origin,
    method: m.method,
    path: m.path,
    statusCode: m.statusCode as number,
    statusMessage: m.statusMessage,
    headers: m.headers as Record<string, string | string[]>,
    vary: m.vary as Record<string, string | string[] | null> | undefined,
    etag: m.etag as string | undefined,
    cacheControlDirectives: m.cacheControlDirectives as CacheControlDirectives | undefined,
    cachedAt: m.cachedAt as number,
    staleAt: m.staleAt as number,
    deleteAt: m.deleteAt as number,
    body: bytes.subarray(parsed.end),
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

/** Header fields: each a string or a list of strings (and, for Vary's record of a request, null for absent). */
function isFieldMap(value: unknown, nullable: boolean): boolean {
  if (!isObject(value)) return false
  for (const name in value) {
    const field = value[name]
    if (typeof field === 'string' || (nullable && field === null)) continue
    if (!Array.isArray(field) || !field.every((item) => typeof item === 'string')) return false
  }
  return true
}
