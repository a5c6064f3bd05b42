import { Stream } from 'node:stream'
import type { ArgoEnv, ArgoResponse, ArgoTargetResponse } from './argo-shapes.js'

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1), plus Trailer and the proxy fields
 * of RFC 9110 §11.7 (as the caching proxy drops them): they describe one
 * connection, or the framing of one message, and argo's `_target` copies
 * the target's onto the client's response with setHeader, as if they were
 * end-to-end. Transfer-Encoding among them is what made argo send a chunked
 * body with a Content-Length beside it (RFC 9112 §6.3: a message with both
 * is to be treated as an error, and strict clients, undici among them, do).
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade']

/** RFC 9110 §8.6: no Content-Length on a 1xx or 204. */
const NO_CONTENT_LENGTH = (status: number) => status === 204 || (status >= 100 && status < 200)

/**
 * Puts env.response in a shape argo's reply path (the response ender at the
 * end of argo.js build()) sends as valid HTTP/1.1, and reports whether that
 * path should run at all. Runs as a 'sink' response handler: after every
 * ordinary response handler, right before the ender, so no handler changes
 * the body after it.
 *
 * What the ender does wrong, and what this does about each:
 * - the target's framing headers stay beside a Content-Length of its own:
 *   the target's hop-by-hop fields are removed, and every body is framed
 *   once, by its length or chunked (see `streamed`);
 * - the target's body is read whole into memory before a byte is sent, and
 *   a target that dies mid-body leaves the client waiting for ever (getBody
 *   waits for an 'end' that never comes): the body is streamed instead, and a
 *   target response cut short cuts the client's connection (RFC 9112 §8), so
 *   no client, and no cache below, takes a truncated body for a whole one;
 * - a string body gets Content-Length `string.length`, in UTF-16 code units,
 *   not bytes: strings (and objects, which it sends as JSON) become Buffers
 *   with their byte length;
 * - a Buffer body keeps whatever Content-Length was set before: it gets its
 *   own;
 * - a Stream body keeps the target's Content-Length, though the stream may be
 *   anything: it is sent chunked, unless it is the target's own body;
 * - a 204 gets a Content-Length: none (RFC 9110 §8.6);
 * - `_target` answers the target's late parse error by running the response
 *   pipeline a second time, which would write a second head: the second pass
 *   stops here (`framed` holds the envs this handler has seen).
 */
export function frameForClient(env: ArgoEnv, framed: WeakSet<ArgoEnv>): boolean {
  const res = env.response
  if (framed.has(env)) return false
  framed.add(env)
  const upstream = env.target.response ?? undefined
  if (res.headersSent || res.writableEnded || res.destroyed) {
    // The cache answered in the target's place (a stale entry for a late origin): the target's body goes nowhere.
    upstream?.destroy()
    return false
  }
  foldHeadersObject(res)
  if (upstream !== undefined) for (const name of hopByHopOf(upstream)) removeIfSet(res, name)
  removeIfSet(res, 'transfer-encoding')
  const body = res.body
  if (body === null || body === undefined) {
    if (upstream === undefined) return whole(res, Buffer.alloc(0))
    // argo puts `body = null` on IncomingMessage.prototype; getBody() leaves the whole body there once read.
    if (upstream.body !== null && upstream.body !== undefined) return whole(res, toBuffer(upstream.body))
    if (upstream.readableEnded) return whole(res, Buffer.alloc(0))
    // The target's own Content-Length describes these very bytes; a body it cuts short cuts the connection.
    return streamed(env, guarded(res, upstream), res.hasHeader('content-length'))
  }
  if (body instanceof Stream) return streamed(env, guarded(res, body as NodeJS.ReadableStream), body === upstream && res.hasHeader('content-length'))
  if (typeof body === 'string' || body instanceof Uint8Array) return whole(res, toBuffer(body))
  if (!res.hasHeader('content-type')) res.setHeader('content-type', 'application/json; charset=UTF-8')
  return whole(res, Buffer.from(JSON.stringify(body), 'utf8'))
}

/** A whole body: a Buffer, which the ender sends as is, with its own length. */
function whole(res: ArgoResponse, body: Buffer): boolean {
  res.body = body
  if (NO_CONTENT_LENGTH(res.statusCode)) removeIfSet(res, 'content-length')
  else res.setHeader('content-length', String(body.byteLength))
  return true
}

/**
 * A stream body: sent with the length it has, or chunked. Chunked is asked
 * for in so many words: once a Transfer-Encoding the target sent is removed,
 * Node takes the removal as "no chunking" and would delimit the body by
 * closing the connection. Not to an HTTP/1.0 client (no chunked coding, RFC
 * 9112 §6.1), nor where no body goes (HEAD, 1xx, 204, 304: RFC 9110 §6.4.1).
 */
function streamed(env: ArgoEnv, body: NodeJS.ReadableStream, keepLength: boolean): boolean {
  const res = env.response
  res.body = body
  const status = res.statusCode
  if (!keepLength || NO_CONTENT_LENGTH(status)) removeIfSet(res, 'content-length')
  const bodiless = env.request.method === 'HEAD' || status === 304 || NO_CONTENT_LENGTH(status)
  if (!keepLength && !bodiless && env.request.httpVersion !== '1.0') res.setHeader('transfer-encoding', 'chunked')
  return true
}

/** Node remembers a removal of Content-Length, Transfer-Encoding or Connection as a choice of framing: only what is there is removed. */
function removeIfSet(res: ArgoResponse, name: string): void {
  if (res.hasHeader(name)) res.removeHeader(name)
}

/**
 * The ender pipes a Stream body into the response; pipe() neither ends nor
 * destroys the response when its source fails. A source that errors or
 * closes before its end destroys the response (the client sees a cut
 * connection), and a response that closes first (the client went away)
 * destroys the source, freeing the target's connection.
 */
function guarded<S extends NodeJS.ReadableStream>(res: ArgoResponse, source: S): S {
  const emitter = source as unknown as NodeJS.ReadableStream & { readableEnded?: boolean; complete?: boolean; destroy?: () => void }
  let ended = false
  emitter.on('end', () => { ended = true })
  emitter.on('error', () => res.destroy())
  emitter.on('close', () => {
    // An IncomingMessage cut short closes with complete false, sometimes without an error.
    if (!ended || emitter.complete === false) res.destroy()
  })
  res.once('close', () => {
    if (!ended) emitter.destroy?.()
  })
  return source
}

/** Hop-by-hop fields of the target's response, and those its Connection header names (RFC 9110 §7.6.1). */
function hopByHopOf(upstream: ArgoTargetResponse): string[] {
  const connection = upstream.headers.connection ?? ''
  const named = connection.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
  return [...HOP_BY_HOP, ...named]
}

/**
 * argo's documented `env.response.headers = {...}` reaches the client as
 * writeHead's argument, past every fix made with setHeader: folded into the
 * response's own headers here, so the framing below has the last word.
 */
function foldHeadersObject(res: ArgoResponse): void {
  const headers = res.headers
  if (headers === null || typeof headers !== 'object') return
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value)
  res.headers = undefined
}

function toBuffer(body: string | Uint8Array): Buffer {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
}
