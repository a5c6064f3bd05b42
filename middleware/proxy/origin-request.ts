import type { IncomingMessage, ServerResponse } from 'node:http'
import { isIP } from 'node:net'
import createDebug from 'debug'
import type { Dispatcher, Pool } from 'undici'
import { clientResponseHeaders, originRequestHeaders } from './forwarding-headers.js'
import type { ResolvedProxyOptions } from './options.js'

const debug = createDebug('spillway:proxy')

/**
 * Sends a request the cache did not answer to the origin, and its response
 * into `res`, both bodies streamed with backpressure: the request body is
 * the IncomingMessage itself, read only as fast as the origin takes it; the
 * response body pauses whenever `res` (the cache's tee, then the client's
 * socket) is full.
 *
 * Whatever `res` is wrapped in sees an ordinary route: a head, then the
 * body. A failure before the head becomes a 502 or 504 with a one-line
 * text body (so the cache's stale-if-error handling, which watches for a
 * 5xx, can stand in with a stale entry); a failure after it destroys `res`,
 * which cuts the client's connection and tells the tee the body is
 * incomplete, so nothing truncated is ever stored.
 */
export function forwardToOrigin(req: IncomingMessage, res: ServerResponse, pool: Pool, opts: ResolvedProxyOptions): void {
  const path = req.url ?? ''
  // A reverse proxy forwards paths; an absolute-form target would name another host (RFC 9112 §3.2.2).
  if (path.charCodeAt(0) !== 47 /* / */) return answerError(res, 400, 'Bad Request', 'the request target must be a path')
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0')
  const abort = new AbortController()
  let upstreamDone = false
  // The client left, or the cache answered in the origin's place (a stale entry on originTimeoutMs): stop the origin request.
  res.once('close', () => {
    if (!upstreamDone) abort.abort()
  })
  const request: Dispatcher.RequestOptions & { servername?: string } = {
    path,
    method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
    headers: originRequestHeaders(req, opts, hasBody),
    body: hasBody ? req : null,
    signal: abort.signal,
    headersTimeout: opts.headersTimeoutMs,
    bodyTimeout: opts.bodyTimeoutMs,
  }
  // With preserveHost the Host header would otherwise name the TLS server: check the target's certificate instead.
  if (opts.target.protocol === 'https:' && isIP(opts.target.hostname) === 0) request.servername = opts.tls?.servername ?? opts.target.hostname
  pool.request(request).then((response) => {
    if (res.destroyed || res.writableEnded) {
      upstreamDone = true
      response.body.destroy()
      return
    }
    relay(response, res, opts, () => { upstreamDone = true })
  }, (err: unknown) => {
    upstreamDone = true
    if (abort.signal.aborted) return
    const [status, reason, what] = describeFailure(err, opts)
    debug('%s %s: %s (%s)', req.method, path, what, errorCode(err))
    answerError(res, status, reason, what)
  })
}

/** The origin's head, then its body, into `res`. */
function relay(response: Dispatcher.ResponseData, res: ServerResponse, opts: ResolvedProxyOptions, done: () => void): void {
  const { body } = response
  try {
    for (const [name, value] of Object.entries(clientResponseHeaders(response.headers, opts))) res.setHeader(name, value)
    res.writeHead(response.statusCode)
  } catch (err) {
    // A field Node will not send (llhttp is laxer than setHeader on some values).
    done()
    body.destroy()
    debug('origin head not relayed: %s', err)
    if (!res.headersSent) {
      for (const name of res.getHeaderNames()) res.removeHeader(name)
      return answerError(res, 502, 'Bad Gateway', 'the origin sent a header that cannot be relayed')
    }
    return void res.destroy()
  }
  // RFC 9110 §6.4.1: a 204 or 304 has no content, whatever its Content-Length says (for a 304, the 200's
  // length, §8.6); undici would wait for those bytes and then fail the body.
  if (response.statusCode === 204 || response.statusCode === 304) {
    done()
    body.on('error', () => {})
    body.destroy()
    return void res.end()
  }
  body.on('data', (chunk: Buffer) => {
    if (!res.write(chunk)) body.pause()
  })
  res.on('drain', () => body.resume())
  body.once('end', () => {
    done()
    res.end()
  })
  body.once('error', (err) => {
    done()
    debug('origin body failed after the head: %s (%s)', err.message, errorCode(err))
    // The head is gone: cutting the connection is the only way left to say the body is incomplete.
    res.destroy()
  })
}

/** Status, reason phrase and a short description of what failed, for an error before the origin's head. */
function describeFailure(err: unknown, opts: ResolvedProxyOptions): [number, string, string] {
  const code = errorCode(err)
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return [504, 'Gateway Timeout', `connecting to the origin timed out after ${opts.connectTimeoutMs} ms`]
    case 'UND_ERR_HEADERS_TIMEOUT':
      return [504, 'Gateway Timeout', `the origin sent no response within ${opts.headersTimeoutMs} ms`]
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return [502, 'Bad Gateway', `the origin is unreachable (${code})`]
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
      return [502, 'Bad Gateway', `the origin closed the connection before its response (${code})`]
    case 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH':
      return [400, 'Bad Request', 'the request body did not match its Content-Length']
  }
  if (code.startsWith('HPE_') || code === 'HTTPParserError' || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return [502, 'Bad Gateway', `the origin sent an invalid response (${code})`]
  }
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')) {
    return [502, 'Bad Gateway', `the TLS connection to the origin failed (${code})`]
  }
  return [502, 'Bad Gateway', `the request to the origin failed (${code})`]
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : (err as Error | null)?.name ?? 'unknown error'
}

/**
 * The proxy's own error answer: status, `no-store` (neither this cache nor
 * one downstream keeps it), and what failed as one line of text, never a
 * stack trace. Written through `res` as a route would, so stale-if-error
 * can replace a 5xx.
 */
export function answerError(res: ServerResponse, status: number, reason: string, what: string): void {
  if (res.headersSent || res.destroyed) return void res.destroy()
  const body = `${status} ${reason}: ${what}\n`
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.setHeader('content-length', String(Buffer.byteLength(body)))
  res.setHeader('cache-control', 'no-store')
  res.writeHead(status)
  res.end(body)
}
