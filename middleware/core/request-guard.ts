import type { IncomingMessage } from 'node:http'

/**
 * Unkeyed inputs (web cache poisoning, Kettle 2018): a request header that
 * changes the response but not the key lets one client's response reach
 * another. Every such input is either keyed here, as if the response had
 * said Vary on it, or makes the request bypass the cache.
 */
export type ForwardedHeadersMode = 'key' | 'bypass' | 'ignore'

export interface GuardOptions {
  forwardedHeaders: ForwardedHeadersMode
  trustProxy?: (address: string, hop: number) => boolean
}

/**
 * Headers through which proxies tell the app where a request came from.
 * Express believes X-Forwarded-Host and -Proto under `trust proxy`; the rest
 * are read by common middleware and frameworks directly. X-Forwarded-For is
 * left out on purpose: it names the client, so keying it would give every
 * client an entry of its own (a response built from it is per-client, and
 * should say `private`).
 */
export const FORWARDED_HEADERS = ['x-forwarded-host', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-prefix',
  'x-forwarded-scheme', 'x-forwarded-ssl', 'forwarded'] as const

/** Headers that make the app run another route or method than the request names (and a `_method` query parameter): never cached. */
const REWRITING_HEADERS = ['x-original-url', 'x-rewrite-url', 'x-http-method-override', 'x-http-method', 'x-method-override'] as const

/**
 * RFC 3986 §3.2.2 host (reg-name, IPv4, or a bracketed IP literal) with an
 * optional port. No '/', '?', '#', '@' or space: the key is host then path,
 * and the path starts with '/', so a valid host ends where the path begins.
 */
const VALID_HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]*)(?::\d{0,5})?$/

/** `_method` as a query parameter of its own (not `payment_method`). */
const METHOD_PARAM = /[?&]_method=/

/** Separates the key's forwarded inputs from the URL; a request target never holds it (RFC 9112 §3.2). */
const INPUTS = '\u0001'

/**
 * Why `req` may neither be served from nor stored in the cache, or
 * undefined. Checked for every method, so that an unsafe request with a bad
 * Host cannot invalidate another host's entries either.
 */
export function refusalOf(req: IncomingMessage, options: GuardOptions): string | undefined {
  // The whole target: under a mount, Express strips its prefix from req.url, but not from originalUrl.
  const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/'
  // Absolute-form (RFC 9112 §3.2.2) or asterisk-form: the Host header and the target can disagree.
  if (url.charCodeAt(0) !== 47 /* / */) return 'request target not in origin-form'
  const headers = req.headers
  const host = headers.host
  if (host !== undefined && !isValidHost(host)) return 'invalid Host'
  if (hasDuplicateHost(req.rawHeaders)) return 'duplicated Host'
  const method = req.method
  if (method !== 'GET' && method !== 'HEAD') return undefined
  // RFC 9110 §9.3.1: content in a GET has no defined semantics, but an app may read it.
  if (headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')) {
    return 'request has content'
  }
  for (const name of REWRITING_HEADERS) if (headers[name] !== undefined) return name
  // method-override's other usual source; queryAllow or queryDeny may leave it out of the key.
  if (url.includes('_method=') && METHOD_PARAM.test(url)) return '_method'
  if (options.forwardedHeaders === 'bypass') {
    for (const name of FORWARDED_HEADERS) if (headers[name] !== undefined) return name
  }
  return undefined
}

/**
 * The forwarded inputs to append to the key of a request `refusalOf`
 * accepted: '' when it carries none (the common case costs a few property
 * reads), else each header's value and whether the app trusts the peer
 * (what Express believes depends on both).
 */
export function forwardedInputs(req: IncomingMessage, options: GuardOptions): string {
  if (options.forwardedHeaders !== 'key') return ''
  const headers = req.headers
  let inputs = ''
  for (const name of FORWARDED_HEADERS) {
    const value = headers[name]
    if (value === undefined) continue
    const text = Array.isArray(value) ? value.join(',') : value
    inputs += `${INPUTS}${name}=${name === 'forwarded' ? withoutNodes(text) : text.trim()}`
  }
  if (inputs === '') return ''
  const trust = options.trustProxy ?? expressTrust(req)
  const trusted = trust !== undefined && trust(req.socket.remoteAddress ?? '', 0)
  return `${inputs}${INPUTS}trusted=${trusted ? 1 : 0}`
}

/**
 * The last Host value found valid. Nearly every request of a server names
 * the same host, so the regular expression runs once per new value; the
 * answer depends on the string alone, so the memo can never be wrong.
 */
let lastValidHost: string | undefined

function isValidHost(host: string): boolean {
  if (host === lastValidHost) return true
  if (!VALID_HOST.test(host)) return false
  lastValidHost = host
  return true
}

/** Node keeps only the first Host line in req.headers; the raw lines show a second one. */
function hasDuplicateHost(rawHeaders: string[]): boolean {
  let seen = false
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (name.length === 4 && (name === 'Host' || name === 'host' || name.toLowerCase() === 'host')) {
      if (seen) return true
      seen = true
    }
  }
  return false
}

/**
 * RFC 7239 elements without their for= and by= parameters: those name the
 * nodes a request passed (per client, like X-Forwarded-For), while host=
 * and proto= say what the app should believe about the request itself.
 */
function withoutNodes(forwarded: string): string {
  return forwarded.split(',').map((element) => element.split(';').map((pair) => pair.trim())
    .filter((pair) => !/^(?:for|by)\s*=/i.test(pair)).join(';')).join(',')
}

/** Express's compiled `trust proxy` function, when the request passed through an Express app. */
function expressTrust(req: IncomingMessage): ((address: string, hop: number) => boolean) | undefined {
  const app = (req as IncomingMessage & { app?: { get?: (name: string) => unknown } }).app
  const fn = typeof app?.get === 'function' ? app.get('trust proxy fn') : undefined
  return typeof fn === 'function' ? fn as (address: string, hop: number) => boolean : undefined
}
