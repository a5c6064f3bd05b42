import type { CachedHead } from './cached-response.js'

/**
 * The cache's own policy stays private (RFC 9111 §5.2): a TTL or override
 * from the options is written into the Cache-Control that the storing and
 * freshness decisions read, but clients must get Cache-Control and Expires
 * as the origin sent them, or a CDN below would store what the origin
 * forbade. The entry keeps the origin's values beside the one it decided on.
 */
export interface OriginDirectives {
  /** The Cache-Control the cache decided on: restored only while the served headers still carry it (a 304 may replace it). */
  decided: string
  'cache-control'?: string | string[]
  expires?: string | string[]
}

/** A stored head, with the origin's directives where the cache's TTL changed them. */
export type HeadWithOrigin = CachedHead & { origin?: OriginDirectives }

/** The origin's directives, when the decision headers differ from what it sent; else undefined. */
export function originDirectives(sent: Record<string, string | string[]>, decided: Record<string, string | string[] | undefined>): OriginDirectives | undefined {
  const cacheControl = decided['cache-control']
  if (cacheControl === sent['cache-control'] && decided.expires === sent.expires) return undefined
  return { decided: String(cacheControl), 'cache-control': sent['cache-control'], expires: sent.expires }
}

/** Puts the origin's Cache-Control and Expires back into headers served from `head`. */
export function restoreOriginDirectives(headers: Record<string, string | string[]>, head: HeadWithOrigin): void {
  const origin = head.origin
  if (origin === undefined || String(headers['cache-control']) !== origin.decided) return
  for (const name of ['cache-control', 'expires'] as const) {
    const value = origin[name]
    if (value === undefined) delete headers[name]
    else headers[name] = value
  }
}
