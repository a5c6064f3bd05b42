/**
 * The Cache-Status response header (RFC 9211): how this cache handled the
 * request, as `spillway; hit; ttl=12` or `spillway; fwd=miss; stored`.
 */
import type { HttpOutcome } from './http-stats.js'

export type Forward = 'bypass' | 'method' | 'uri-miss' | 'vary-miss' | 'miss' | 'request' | 'stale' | 'partial'

export interface CacheStatus {
  hit?: boolean
  fwd?: Forward
  /** Status of the forwarded response. */
  fwdStatus?: number
  /** Seconds of freshness left (negative when stale). */
  ttl?: number
  stored?: boolean
  collapsed?: boolean
  detail?: string
}

/** An sf-token (RFC 8941 §3.3.4): ( ALPHA / "*" ) *( tchar / ":" / "/" ). */
const SF_TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*$/

/**
 * Whether `name` can identify this cache in Cache-Status as written (RFC 9211 §2 has an sf-token or an
 * sf-string there; only tokens are taken, so the name is sent as the user wrote it, never quoted).
 */
export function isCacheStatusName(name: unknown): name is string {
  return typeof name === 'string' && SF_TOKEN.test(name)
}

export function formatCacheStatus(name: string, status: CacheStatus): string {
  // The fresh hit, the common case, without the list.
  if (status.hit === true && status.ttl !== undefined && status.fwd === undefined && status.collapsed !== true && status.stored !== true &&
    status.detail === undefined && status.fwdStatus === undefined) {
    return `${name}; hit; ttl=${Math.round(status.ttl)}`
  }
  const parts = [name]
  if (status.hit === true) parts.push('hit')
  if (status.fwd !== undefined) parts.push(`fwd=${status.fwd}`)
  if (status.fwdStatus !== undefined) parts.push(`fwd-status=${status.fwdStatus}`)
  if (status.ttl !== undefined) parts.push(`ttl=${Math.round(status.ttl)}`)
  if (status.stored === true) parts.push('stored')
  if (status.collapsed === true) parts.push('collapsed')
  if (status.detail !== undefined) parts.push(`detail=${JSON.stringify(status.detail)}`)
  return parts.join('; ')
}

/**
 * The outcome a Cache-Status stands for, in stats().responses (http-stats.ts
 * HttpOutcome). A forward with a stale entry is a `miss` only once the
 * origin's own response goes out: a 304 or an error the cache answers in its
 * place is served with a status of its own (fwd-status), which decides.
 */
export function outcomeOf(status: CacheStatus): HttpOutcome {
  if (status.hit === true) return status.detail === undefined ? 'hit' : 'stale'
  if (status.fwdStatus === 304) return 'revalidated'
  if (status.fwdStatus !== undefined) return 'stale'
  return status.fwd === 'bypass' || status.fwd === 'method' ? 'bypass' : 'miss'
}
