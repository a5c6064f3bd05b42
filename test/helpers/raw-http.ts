/**
 * A bare HTTP client for the middleware tests: node:http with no agent (a
 * fresh connection each time), no automatic decompression, raw body bytes,
 * and a hard time limit, so a wedged request fails the test instead of
 * hanging it. Also a raw-socket request, for what node:http refuses to send.
 */
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import net from 'node:net'
import zlib from 'node:zlib'

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

export interface RawRequestOptions {
  method?: string
  headers?: OutgoingHttpHeaders
  body?: string | Buffer
  /** The request fails after this long. @default 5000 */
  timeoutMs?: number
}

/** One request on its own connection; rejects when the response is cut short or too slow. */
export function rawRequest(url: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const timeoutMs = options.timeoutMs ?? 5000
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (err: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      reject(err)
    }
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('error', fail)
      res.on('aborted', () => fail(new Error(`response to ${options.method ?? 'GET'} ${url} aborted`)))
      res.on('end', () => {
        if (settled) return
        if (!res.complete) return fail(new Error(`response to ${url} incomplete`))
        settled = true
        clearTimeout(timer)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
      })
      res.on('close', () => {
        if (!res.complete) fail(new Error(`response to ${url} closed before it was complete`))
      })
    })
    const timer = setTimeout(() => fail(new Error(`${options.method ?? 'GET'} ${url} took more than ${timeoutMs} ms`)), timeoutMs)
    req.on('error', fail)
    req.end(options.body)
  })
}

/**
 * Starts a GET, waits for the first body bytes, then destroys the socket.
 * Resolves with those first bytes and the response headers.
 */
export function abortAfterFirstChunk(url: string, headers: OutgoingHttpHeaders = {}, timeoutMs = 5000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      req.destroy()
      reject(new Error(`no body bytes from ${url} within ${timeoutMs} ms`))
    }, timeoutMs)
    const req = http.request(url, { headers, agent: false }, (res) => {
      res.once('data', (chunk: Buffer) => {
        clearTimeout(timer)
        req.destroy()
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunk })
      })
      res.on('error', () => {})
    })
    req.on('error', () => {})
    req.end()
  })
}

/** Writes `text` to a fresh TCP connection and returns all that comes back until the server closes it (or timeoutMs). */
export function rawSocketRequest(url: string, text: string, timeoutMs = 3000): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(Number(port), hostname, () => socket.write(text))
    const timer = setTimeout(() => {
      socket.destroy()
      resolve(Buffer.concat(chunks).toString('latin1'))
    }, timeoutMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', (err) => {
      clearTimeout(timer)
      if (chunks.length > 0) resolve(Buffer.concat(chunks).toString('latin1'))
      else reject(err)
    })
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(Buffer.concat(chunks).toString('latin1'))
    })
  })
}

/** The status code on the first line of a raw HTTP response, or 0. */
export function rawStatus(response: string): number {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(response)
  return m === null ? 0 : Number(m[1])
}

/** The body decoded per its Content-Encoding (gzip, br, deflate or none); throws on a coding it does not know or bytes that do not decode. */
export function decodeBody(res: RawResponse): Buffer {
  const coding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase()
  switch (coding) {
    case 'identity':
    case '':
      return res.body
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(res.body)
    case 'br':
      return zlib.brotliDecompressSync(res.body)
    case 'deflate':
      return zlib.inflateSync(res.body)
    default:
      throw new Error(`unknown Content-Encoding ${coding}`)
  }
}

/** Whether the Cache-Status header says the cache answered. */
export function isHit(res: RawResponse): boolean {
  return /(^|;)\s*hit\s*(;|$)/.test(String(res.headers['cache-status'] ?? ''))
}

/** Deterministic bytes: a seeded xorshift stream, so failures replay. */
export function patternBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length)
  let x = (seed | 0) || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}
