import type { ConnectionOptions } from 'node:tls'
import { checkBoolean, checkInteger } from '../../src/option-checks.js'
import type { HttpCacheOptions } from '../core/options.js'

export interface ProxyOptions extends HttpCacheOptions {
  /** The origin: an `http:` or `https:` URL; its path, if any, is ignored (request paths go as the client sent them). */
  target: string | URL
  /**
   * Send the client's Host to the origin instead of the target's host and
   * port (nginx `proxy_set_header Host $host`). @default false
   */
  preserveHost?: boolean
  /** The pseudonym this proxy adds to Via (RFC 9110 §7.6.3), both ways; false adds none. @default 'spillway' */
  via?: string | false
  /** Append the client's address to X-Forwarded-For. @default true */
  xForwardedFor?: boolean
  /** Set X-Forwarded-Proto to the scheme the client used (replacing the client's own). @default true */
  xForwardedProto?: boolean
  /** Set X-Forwarded-Host to the Host the client sent (replacing the client's own). @default true */
  xForwardedHost?: boolean
  /** Milliseconds to open a connection to the origin before answering 504. @default 10000 */
  connectTimeoutMs?: number
  /** Milliseconds to wait for the origin's response head before answering 504. @default 60000 */
  headersTimeoutMs?: number
  /** Milliseconds the origin may pause in the middle of a body before the response is cut off. @default 60000 */
  bodyTimeoutMs?: number
  /** Keep-alive connections to the origin, at most. @default 128 */
  connections?: number
  /**
   * A path where the proxy serves its live dashboard (middleware/dashboard/)
   * instead of forwarding, such as '/_spillway'; false serves none. Anyone
   * who can reach the proxy can read it: put it behind the same guard as
   * other admin pages. @default false
   */
  dashboard?: string | false
  /** TLS options for an `https:` target (`ca` for a private CA, say). @default Node's defaults */
  tls?: Pick<ConnectionOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized' | 'servername'>
}

export interface ResolvedProxyOptions {
  target: URL
  preserveHost: boolean
  via: string | false
  xForwardedFor: boolean
  xForwardedProto: boolean
  xForwardedHost: boolean
  connectTimeoutMs: number
  headersTimeoutMs: number
  bodyTimeoutMs: number
  connections: number
  tls: ProxyOptions['tls']
  dashboard: string | false
}

const THING = 'createCachingProxy'
const DAY_MS = 86_400_000

/** Checks the proxy's own options once, at construction; the cache checks the rest. */
export function resolveProxyOptions(options: ProxyOptions): ResolvedProxyOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${THING} options must be an object`)
  let target: URL
  try {
    target = new URL(String(options.target))
  } catch {
    throw new TypeError(`${THING} options.target must be an http: or https: URL; got ${JSON.stringify(String(options.target))}`)
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new TypeError(`${THING} options.target must be an http: or https: URL; got ${JSON.stringify(target.href)}`)
  }
  const via = options.via ?? 'spillway'
  if (via !== false && (typeof via !== 'string' || !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(via))) {
    throw new TypeError(`${THING} options.via must be a token (RFC 9110 §5.6.2) or false; got ${JSON.stringify(via)}`)
  }
  return {
    target,
    preserveHost: checkBoolean(THING, 'preserveHost', options.preserveHost ?? false),
    via,
    xForwardedFor: checkBoolean(THING, 'xForwardedFor', options.xForwardedFor ?? true),
    xForwardedProto: checkBoolean(THING, 'xForwardedProto', options.xForwardedProto ?? true),
    xForwardedHost: checkBoolean(THING, 'xForwardedHost', options.xForwardedHost ?? true),
    connectTimeoutMs: checkInteger(THING, 'connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1, DAY_MS),
    headersTimeoutMs: checkInteger(THING, 'headersTimeoutMs', options.headersTimeoutMs ?? 60_000, 1, DAY_MS),
    bodyTimeoutMs: checkInteger(THING, 'bodyTimeoutMs', options.bodyTimeoutMs ?? 60_000, 1, DAY_MS),
    connections: checkInteger(THING, 'connections', options.connections ?? 128, 1, 65_536),
    tls: options.tls,
    dashboard: dashboardPathOf(options.dashboard ?? false),
  }
}

/** A path of one or more segments, none of them '.' or '..', no trailing '/': requests at it or below it are the dashboard's. */
function dashboardPathOf(path: unknown): string | false {
  if (path === false) return false
  if (typeof path !== 'string' || !/^(\/[A-Za-z0-9._~!$&'()*+,;=:@-]+)+$/.test(path) || path.split('/').some((s) => s === '.' || s === '..')) {
    throw new TypeError(`${THING} options.dashboard must be a path such as '/_spillway' (not '/', no query, no trailing '/') or false; got ${JSON.stringify(path)}`)
  }
  return path
}
