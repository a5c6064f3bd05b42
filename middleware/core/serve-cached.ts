import type { IncomingMessage, ServerResponse } from 'node:http'
import { ifNoneMatchHolds, strongEqual } from './validators.js'
import { parseHttpDate } from './http-date.js'
import { cancelHeaderAtHead } from './status-at-head.js'
import type { CachedHead } from './cached-response.js'
import { pieceOffset } from './partial-content.js'

/**
 * Answers a request from a cached response: 304 for a conditional request the
 * entry satisfies (RFC 9110 §13), 206 or 416 for a Range request on a full
 * 200 body (§14), headers only for HEAD, the whole entry otherwise. `headers`
 * are the stored ones, served as they are (no copy per hit), then `age`
 * (seconds, RFC 9111 §4.2.3) and the Cache-Status.
 */
export function serveCached(req: IncomingMessage, res: ServerResponse, head: CachedHead, headers: Record<string, string | string[]>, body: Buffer,
  age: number, cacheStatus: string): void {
  const status = head.status
  // The cache answers: the Cache-Status it serves is the whole field, with no member added at the head for a forward.
  cancelHeaderAtHead(res, 'cache-status')
  const notModified_ = notModified(req, head, headers)
  for (const name in headers) {
    if (name === 'content-length' || name === 'transfer-encoding' || (notModified_ && notIn304(name))) continue
    // Headers set earlier in the stack for this request (X-Request-Id, say) win over the stored
    // ones, except those that describe the stored representation or its caching.
    if (!STORED_WINS.has(name) && res.hasHeader(name)) continue
    res.setHeader(name, headers[name])
  }
  res.setHeader('age', String(Math.floor(age)))
  res.setHeader('cache-status', cacheStatus)
  if (notModified_) {
    res.statusCode = 304
    // RFC 9110 §15.4.5: no representation metadata but what guides cache updates; a length would describe a body not sent.
    res.removeHeader('content-length')
    res.end()
    return
  }
  if (head.partial !== undefined) return servePiece(req, res, head, body)
  const range = status === 200 ? requestedRange(req, head, headers, body.byteLength) : undefined
  if (range === 'unsatisfiable') {
    res.statusCode = 416
    res.setHeader('content-range', `bytes */${body.byteLength}`)
    res.setHeader('content-length', '0')
    res.end()
    return
  }
  const part = range === undefined ? body : body.subarray(range.start, range.end + 1)
  if (range !== undefined) {
    res.statusCode = 206
    res.setHeader('content-range', `bytes ${range.start}-${range.end}/${body.byteLength}`)
  } else {
    res.statusCode = status
  }
  if (range === undefined && status === 200) res.setHeader('accept-ranges', 'bytes')
  // RFC 9110 §8.6: no Content-Length (and no content) on a 204 or 304.
  if (res.statusCode === 204) {
    res.removeHeader('content-length')
    res.end()
    return
  }
  res.setHeader('content-length', String(part.byteLength))
  res.end(req.method === 'HEAD' ? undefined : part)
}

/**
 * Stored fields a 304 leaves out (RFC 9110 §15.4.5): a 304 carries Content-Location, Date, ETag, Vary,
 * Cache-Control and Expires, and no other representation metadata unless it guides cache updates (Last-Modified
 * does). Every other Content-* field describes the body the client already has. Not set, rather than removed,
 * so nothing set earlier in the stack is lost.
 */
function notIn304(name: string): boolean {
  return name.startsWith('content-') && name !== 'content-location'
}

/**
 * Fields that belong to the stored response itself (RFC 9110 §8 representation
 * metadata, RFC 9111 caching fields, and this cache's Cache-Status): served as
 * stored even when something earlier in the stack set them.
 */
const STORED_WINS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location', 'content-range',
  'content-disposition', 'etag', 'last-modified', 'cache-control', 'expires', 'age', 'date', 'vary', 'cache-status', 'accept-ranges'])

function notModified(req: IncomingMessage, head: CachedHead, headers: Record<string, string | string[]>): boolean {
  if (head.status !== 200 || (req.method !== 'GET' && req.method !== 'HEAD')) return false
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined) return ifNoneMatchHolds(ifNoneMatch, single(headers.etag))
  // RFC 9110 §13.1.3: a value that is not an HTTP-date is ignored.
  const since = parseHttpDate(req.headers['if-modified-since'])
  if (since === undefined) return false
  const lastModified = single(headers['last-modified'])
  // RFC 9111 §4.3.2: without Last-Modified, the stored response's own Date (the origin's, not the one served
  // now), else the time it was stored, stands for the last modification.
  const modified = lastModified !== undefined ? parseHttpDate(lastModified) : parseHttpDate(single(head.headers.date)) ?? head.storedAt
  return modified !== undefined && modified <= since
}

/** A Range request from a stored 206, whose pieces hold the range (entry-match.ts checked before it matched). */
function servePiece(req: IncomingMessage, res: ServerResponse, head: CachedHead, body: Buffer): void {
  const { total } = head.partial!
  const range = requestedRange(req, head, head.headers, total) as { start: number; end: number }
  const offset = pieceOffset(head.partial!, range.start, range.end)!
  res.statusCode = 206
  res.setHeader('content-range', `bytes ${range.start}-${range.end}/${total}`)
  res.setHeader('content-length', String(range.end - range.start + 1))
  res.end(body.subarray(offset, offset + range.end - range.start + 1))
}

/** The one byte range asked for, 'unsatisfiable', or undefined to send the whole body. */
export function requestedRange(req: IncomingMessage, head: CachedHead, headers: Record<string, string | string[]>, size: number):
  { start: number; end: number } | 'unsatisfiable' | undefined {
  const header = req.headers.range
  if (header === undefined || req.method !== 'GET') return undefined
  const ifRange = single(req.headers['if-range'])
  if (ifRange !== undefined && !ifRangeHolds(ifRange, head, headers)) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  // Several ranges or another unit: a server may answer with the whole representation.
  if (m === null || (m[1] === '' && m[2] === '')) return undefined
  let start: number
  let end: number
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    start = Math.max(0, size - suffix)
    end = size - 1
  } else {
    start = Number(m[1])
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
    if (m[2] !== '' && Number(m[2]) < start) return undefined
  }
  if (!Number.isSafeInteger(start) || start >= size) return 'unsatisfiable'
  return { start, end }
}

/**
 * If-Range (RFC 9110 §13.1.5) holds only on a strong validator of the stored response, else the whole body
 * goes out: an entity-tag by strong comparison (§8.8.3.2); an HTTP-date only when it is exactly the stored
 * Last-Modified and that is strong, at least a second before the stored Date (§8.8.2.2). A Last-Modified
 * in the second of its Date may cover two versions, and a range of the newer one would be spliced onto the older.
 */
function ifRangeHolds(ifRange: string, head: CachedHead, headers: Record<string, string | string[]>): boolean {
  const value = ifRange.trim()
  if (value.startsWith('"') || value.startsWith('W/')) {
    const etag = single(headers.etag)
    return etag !== undefined && strongEqual(value, etag)
  }
  const lastModified = single(headers['last-modified'])
  if (lastModified === undefined || value !== lastModified.trim()) return false
  const modified = parseHttpDate(lastModified)
  const dated = parseHttpDate(single(head.headers.date))
  return modified !== undefined && dated !== undefined && dated - modified >= 1000
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
