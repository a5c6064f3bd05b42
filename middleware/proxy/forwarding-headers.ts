import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import type { ResolvedProxyOptions } from './options.js'

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1), the obsolete Proxy-Connection, and
 * fields that concern this hop's framing or its own authentication: the
 * Proxy-* fields answer one client's credentials on one hop (RFC 9110
 * §11.7), and a cache never stores them (RFC 9111 §3.1). Expect is answered
 * by Node (100-continue) before the request reaches the proxy.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade',
  'proxy-authorization', 'proxy-authenticate', 'proxy-authentication-info', 'expect'])

/** The cache's own marker of its stale-while-revalidate refresh (background-refresh.ts): it stops here. */
const INTERNAL = new Set(['x-spillway-refresh'])

/** Field names the Connection header lists (RFC 9110 §7.6.1): removed along with it. */
export function connectionNamed(value: string | string[] | undefined): Set<string> {
  const names = new Set<string>()
  if (value === undefined) return names
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(',')) {
    const name = part.trim().toLowerCase()
    if (name !== '') names.add(name)
  }
  return names
}

/**
 * End-to-end fields a client asked this hop to drop through Connection,
 * sorted, or '' (the common case: Connection: keep-alive or close). A
 * response the cache keeps was built without them, so they go into the
 * cache key: otherwise `Connection: accept-language` would let a client
 * store the origin's default-language answer as another language's variant
 * (hop-by-hop header abuse).
 */
export function droppedEndToEnd(req: IncomingMessage): string {
  const named = connectionNamed(req.headers.connection)
  if (named.size === 0) return ''
  const dropped = [...named].filter((name) => !HOP_BY_HOP.has(name) && name !== 'close' && req.headers[name] !== undefined)
  return dropped.length === 0 ? '' : dropped.sort().join(',')
}

/**
 * The request head for the origin, as a flat [name, value, …] list in the
 * client's order and spelling: hop-by-hop fields and those Connection names
 * removed, Host the target's (or the client's, with preserveHost), Via and
 * the X-Forwarded-* fields added as configured. Content-Length goes only
 * with a body: the request stream then carries exactly that many bytes.
 */
export function originRequestHeaders(req: IncomingMessage, opts: ResolvedProxyOptions, hasBody: boolean): string[] {
  const named = connectionNamed(req.headers.connection)
  const replaced = new Set<string>(['host', 'via', 'x-forwarded-for'])
  if (opts.xForwardedProto) replaced.add('x-forwarded-proto')
  if (opts.xForwardedHost) replaced.add('x-forwarded-host')
  const out: string[] = []
  const keep = (lower: string) => !(HOP_BY_HOP.has(lower) || INTERNAL.has(lower) || named.has(lower) || replaced.has(lower) ||
    (lower === 'content-length' && !hasBody))
  // Values from req.headers, not the raw lines: the cache may have changed them (a revalidation adds
  // If-None-Match, stale-entry.ts). Names in the client's spelling and order, each once.
  const headers = req.headers
  const sent = new Set<string>()
  const raw = req.rawHeaders
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i].toLowerCase()
    if (sent.has(lower) || !keep(lower)) continue
    sent.add(lower)
    const value = headers[lower]
    if (value !== undefined) out.push(raw[i], Array.isArray(value) ? value.join(', ') : value)
  }
  for (const [lower, value] of Object.entries(headers)) {
    if (sent.has(lower) || value === undefined || !keep(lower)) continue
    out.push(lower, Array.isArray(value) ? value.join(', ') : value)
  }
  const clientHost = req.headers.host
  out.push('host', opts.preserveHost && clientHost !== undefined ? clientHost : opts.target.host)
  if (opts.via !== false) out.push('via', appended(req.headers.via, `${req.httpVersion} ${opts.via}`))
  if (opts.xForwardedFor) {
    const forwardedFor = named.has('x-forwarded-for') ? undefined : req.headers['x-forwarded-for']
    out.push('x-forwarded-for', appended(forwardedFor, req.socket.remoteAddress ?? 'unknown'))
  }
  if (opts.xForwardedProto) out.push('x-forwarded-proto', (req.socket as TLSSocket).encrypted === true ? 'https' : 'http')
  if (opts.xForwardedHost && clientHost !== undefined) out.push('x-forwarded-host', clientHost)
  return out
}

/**
 * The origin's response head for the client: hop-by-hop fields and those
 * its Connection names removed (Node frames the response to the client
 * itself), Via added.
 */
export function clientResponseHeaders(headers: Record<string, string | string[] | undefined>, opts: ResolvedProxyOptions): Record<string, string | string[]> {
  const named = connectionNamed(headers.connection)
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue
    out[name] = value
  }
  if (opts.via !== false) out.via = appended(headers.via, `1.1 ${opts.via}`)
  return out
}

function appended(previous: string | string[] | undefined, value: string): string {
  const before = Array.isArray(previous) ? previous.join(', ') : previous
  return before === undefined || before.trim() === '' ? value : `${before}, ${value}`
}
