import type { IncomingMessage, ServerResponse } from 'node:http'
import { ifNoneMatchHolds } from './validators.js'
import type { CachedHead } from './cached-response.js'

/**
 * Answers a request from a cached response: 304 for a conditional request the
 * entry satisfies (RFC 9110 §13), 206 or 416 for a Range request on a full
 * 200 body (§14), headers only for HEAD, the whole entry otherwise.
 */
export function serveCached(req: IncomingMessage, res: ServerResponse, head: CachedHead, headers: Record<string, string | string[]>, body: Buffer): void {
  const status = head.status
  const notModified_ = notModified(req, status, headers)
  for (const name in headers) {
    if (name === 'content-length' || name === 'transfer-encoding' || (notModified_ && NOT_IN_304.has(name))) continue
    // Headers set earlier in the stack for this request (X-Request-Id, say) win over the stored
    // ones, except those that describe the stored representation or its caching.
    if (!STORED_WINS.has(name) && res.hasHeader(name)) continue
    res.setHeader(name, headers[name])
  }
  if (notModified_) {
    res.statusCode = 304
    res.end()
    return
  }
  const range = status === 200 ? requestedRange(req, headers, body.byteLength) : undefined
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

/** Representation metadata a 304 leaves out (RFC 9110 §15.4.5): not set, rather than removed, so nothing set earlier is lost. */
const NOT_IN_304 = new Set(['content-type', 'content-encoding', 'content-range'])

/**
 * Fields that belong to the stored response itself (RFC 9110 §8 representation
 * metadata, RFC 9111 caching fields, and this cache's Cache-Status): served as
 * stored even when something earlier in the stack set them.
 */
const STORED_WINS = new Set(['content-type', 'content-encoding', 'content-language', 'content-location', 'content-range',
  'content-disposition', 'etag', 'last-modified', 'cache-control', 'expires', 'age', 'date', 'vary', 'cache-status', 'accept-ranges'])

function notModified(req: IncomingMessage, status: number, headers: Record<string, string | string[]>): boolean {
  if (status !== 200 || (req.method !== 'GET' && req.method !== 'HEAD')) return false
  const etag = single(headers.etag)
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined) return ifNoneMatchHolds(ifNoneMatch, etag)
  const since = req.headers['if-modified-since']
  const lastModified = single(headers['last-modified'])
  // RFC 9110 §13.1.3: a value that is not an HTTP-date is ignored (Date.parse would take "2099").
  if (since === undefined || lastModified === undefined || !HTTP_DATE.test(since.trim())) return false
  const sinceMs = Date.parse(since)
  const modifiedMs = Date.parse(lastModified)
  return Number.isFinite(sinceMs) && Number.isFinite(modifiedMs) && modifiedMs <= sinceMs
}

/** The one byte range asked for, 'unsatisfiable', or undefined to send the whole body. */
function requestedRange(req: IncomingMessage, headers: Record<string, string | string[]>, size: number):
  { start: number; end: number } | 'unsatisfiable' | undefined {
  const header = req.headers.range
  if (header === undefined || req.method !== 'GET') return undefined
  const ifRange = single(req.headers['if-range'])
  // RFC 9110 §13.1.5: If-Range matches only a strong validator; anything else gets the whole body.
  if (ifRange !== undefined && (ifRange.startsWith('W/') || (ifRange !== single(headers.etag) && ifRange !== single(headers['last-modified'])))) return undefined
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

/** IMF-fixdate, RFC 850 and asctime forms (RFC 9110 §5.6.7). */
const HTTP_DATE = /^(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT|(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value
}
