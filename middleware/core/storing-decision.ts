import type { ServerResponse } from 'node:http'
import type CachePolicy from 'http-cache-semantics'
import type { CachedHead } from './cached-response.js'
import type { ResolvedHttpCacheOptions } from './options.js'
import type { TeedResponse } from './response-tee.js'
import { originDirectives, type HeadWithOrigin } from './origin-directives.js'
import { varyFields } from './vary.js'
import { withLowerCaseDirectives } from './directive-case.js'

/** What to store for a response, or why not. */
export type StoringDecision = { head: CachedHead; varyFields: string[]; ttl: number; tags: string[] } | { notStored: string }

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']

/**
 * Whether the response the tee saw may be stored, by RFC 9111 as
 * http-cache-semantics reads it (`policyFor` builds the policy) plus this
 * cache's own rules: whole and unaborted, an allowed status, no Set-Cookie
 * unless allowed, not `Vary: *`. The entry is kept `staleRetentionMs` past
 * its freshness, for max-stale and the stale-* directives.
 */
export function decideToStore(teed: TeedResponse, res: ServerResponse, key: string, opts: ResolvedHttpCacheOptions, now: number,
  policyFor: (status: number, headers: CachePolicy.Headers) => CachePolicy): StoringDecision {
  if (teed.outcome !== 'finished') return { notStored: 'aborted' }
  if (teed.body === undefined) return { notStored: 'over maxEntryBytes' }
  if (opts.statuses !== undefined && !opts.statuses.includes(teed.status)) return { notStored: `status ${teed.status}` }
  const headers = storableHeaders(teed.headers)
  if (headers['set-cookie'] !== undefined && !opts.allowSetCookie) return { notStored: 'Set-Cookie' }
  const fields = varyFields(single(headers.vary))
  if (fields === '*') return { notStored: 'Vary: *' }
  const decided = withDefaultTtl(withLowerCaseDirectives(headers), opts.ttlByStatus[teed.status] ?? opts.ttl, opts.overrideCacheControl)
  const policy = policyFor(teed.status, decided as CachePolicy.Headers)
  if (!policy.storable()) return { notStored: `not storable per RFC 9111 (status ${teed.status}, cache-control ${single(headers['cache-control'])})` }
  if (policy.timeToLive() <= 0) return { notStored: 'no freshness' }
  if (!opts.admissionPolicy.admits(key)) return { notStored: 'first miss (admission second-hit)' }
  const head: HeadWithOrigin = { v: 1, status: teed.status, headers, policy: policy.toObject(), storedAt: now }
  const origin = originDirectives(headers, decided)
  if (origin !== undefined) head.origin = origin
  return {
    head,
    varyFields: fields,
    ttl: policy.timeToLive() + opts.staleRetentionMs,
    tags: [...tagsOf(headers, opts.tagHeader), ...localTags(res)],
  }
}

export function single(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

/** Response headers as stored: lower-cased, strings, without hop-by-hop fields (RFC 9110 §7.6.1). */
function storableHeaders(headers: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const connection = (single(headers.connection as string | undefined) ?? '').toLowerCase().split(',').map((h) => h.trim())
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (value === undefined || HOP_BY_HOP.includes(lower) || connection.includes(lower) || lower === 'cache-status') continue
    out[lower] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return out
}

/**
 * The headers the storing decision is made on. A default TTL applies only to
 * a response that states no freshness of its own, and is added beside its
 * other directives, so no-store, private or no-cache still hold. With
 * `override` it replaces the origin's Cache-Control and Expires outright.
 */
function withDefaultTtl(headers: Record<string, string | string[]>, ttlMs: number, override: boolean): Record<string, string | string[] | undefined> {
  if (ttlMs <= 0) return headers
  const maxAge = `s-maxage=${Math.ceil(ttlMs / 1000)}`
  if (override) return { ...headers, 'cache-control': maxAge, expires: undefined }
  const cc = single(headers['cache-control']) ?? ''
  if (/(^|,)\s*(s-maxage|max-age)\s*=/i.test(cc) || headers.expires !== undefined) return headers
  return { ...headers, 'cache-control': cc === '' ? maxAge : `${cc}, ${maxAge}` }
}

function tagsOf(headers: Record<string, string | string[]>, tagHeader: string): string[] {
  const text = [single(headers[tagHeader]), single(headers['cache-tag'])].filter((t) => t !== undefined).join(' ')
  return text.split(/[\s,]+/).filter((t) => t.length > 0)
}

function localTags(res: ServerResponse): string[] {
  const tags = (res as ServerResponse & { locals?: { cacheTags?: unknown } }).locals?.cacheTags
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string' && t.length > 0) : []
}
