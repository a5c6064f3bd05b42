/**
 * The miss-path baseline of bench/proxy.ts: a plain reverse proxy on undici
 * with no cache, written as one would write it by hand. It asks the origin
 * through a keep-alive Pool with the same call the caching proxy uses
 * (`pool.request`), so that the two differ by the cache and not by the
 * client API; it drops the hop-by-hop fields both ways (RFC 9110 §7.6.1),
 * appends X-Forwarded-For, and streams the response body with pipeline's
 * backpressure.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import { pipeline } from 'node:stream'
import { Pool, type Dispatcher } from 'undici'

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade',
  'proxy-authorization', 'proxy-authenticate',
])

function requestHeaders(req: IncomingMessage): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && name !== 'host' && !HOP_BY_HOP.has(name)) headers[name] = value
  }
  const from = req.socket.remoteAddress ?? ''
  const before = req.headers['x-forwarded-for']
  headers['x-forwarded-for'] = before === undefined ? from : `${String(before)}, ${from}`
  return headers
}

function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy()
  const body = `502 Bad Gateway: ${err instanceof Error ? err.message : String(err)}\n`
  res.writeHead(502, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

/** A request listener that forwards every request to `origin` (an http: URL). */
export function plainProxy(origin: string): RequestListener {
  const pool = new Pool(origin, { connections: 128 })
  return (req, res) => {
    const method = (req.method ?? 'GET') as Dispatcher.HttpMethod
    const hasBody = method !== 'GET' && method !== 'HEAD'
    pool.request({ path: req.url ?? '/', method, headers: requestHeaders(req), body: hasBody ? req : null }).then((response) => {
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) res.setHeader(name, value)
      }
      res.writeHead(response.statusCode)
      pipeline(response.body, res, (err) => {
        if (err) res.destroy()
      })
    }, (err: unknown) => fail(res, err))
  }
}
