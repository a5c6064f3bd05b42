import type { IncomingMessage, ServerResponse } from 'node:http'
import type { CachedHead } from './cached-response.js'
import type { ResolvedHttpCacheOptions } from './options.js'
import type { TeedResponse } from './response-tee.js'
import { varyFields } from './vary.js'
import { assess, type PolicyOptions } from './freshness.js'
import { httpDate } from './http-date.js'
import { parseDirectives } from './cache-control.js'

/** What to store for a response, or why not. */
export type StoringDecision = { head: CachedHead; varyFields: string[]; ttl: number; tags: string[] } | { notStored: string }

/** Never stored (RFC 9110 §7.6.1 hop-by-hop fields; RFC 9111 §3.1 the proxy fields; Cache-Status, which is this hop's own). */
const NOT_STORED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authentication-info', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade', 'cache-status'])

/** When the request went to the origin and its response came back (ms since the epoch), for the response's age (RFC 9111 §4.2.3). */
export interface ExchangeTimes {
  requested: number
  received: number
}

/**
 * Whether the response the tee saw may be stored, by RFC 9111 (freshness.ts
 * `assess`) plus this cache's own rules: whole and unaborted, an allowed
 * status, no Set-Cookie unless allowed, not `Vary: *`, admitted. The entry
 * is kept `staleRetentionMs` past its freshness, for max-stale, the stale-*
 * directives and revalidation.
 */
export function decideToStore(teed: TeedResponse, req: IncomingMessage, res: ServerResponse, key: string, opts: ResolvedHttpCacheOptions,
  policy: PolicyOptions, times: ExchangeTimes): StoringDecision {
  if (teed.outcome !== 'finished') return { notStored: 'aborted' }
  if (teed.body === undefined) return { notStored: 'over maxEntryBytes' }
  if (opts.statuses !== undefined && !opts.statuses.includes(teed.status)) return { notStored: `status ${teed.status}` }
  const headers = storableHeaders(teed.headers)
  if (headers['set-cookie'] !== undefined && !opts.allowSetCookie) return { notStored: 'Set-Cookie' }
  const fields = varyFields(single(headers.vary))
  if (fields === '*') return { notStored: 'Vary: *' }
  // RFC 9111 §5.2.1.5: no part of a no-store request, or of its response, is stored.
  if (parseDirectives(req.headers['cache-control']).has('no-store')) return { notStored: 'no-store in the request' }
  const assessed = assess(teed.status, headers, times.requested, times.received, req.headers.authorization !== undefined, policy)
  if (!assessed.storable) return { notStored: assessed.reason }
  // Even when allowed, a Set-Cookie is replayed to every client: only where the origin marked the response as meant for all.
  if (headers['set-cookie'] !== undefined && policy.shared && !assessed.directives.has('public') && !assessed.directives.has('immutable')) {
    return { notStored: 'Set-Cookie without public or immutable' }
  }
  if (!opts.admissionPolicy.admits(key)) return { notStored: 'first miss (admission second-hit)' }
  for (const name of assessed.omit) delete headers[name]
  // The Age it came with is in its freshness now; each answer from the cache gets its own (RFC 9111 §4.2.3).
  delete headers.age
  // RFC 9110 §6.6.1: a response cached without Date gets the time it was received.
  headers.date ??= httpDate(times.received)
  const { fresh } = assessed
  const head: CachedHead = { v: 2, status: teed.status, headers, fresh, url: key, host: (req.headers.host ?? '').toLowerCase(), storedAt: times.received }
  return {
    head,
    varyFields: fields,
    ttl: keptFor(fresh.life, fresh.age, opts.staleRetentionMs),
    tags: [...tagsOf(headers, opts.tagHeader), ...localTags(res)],
  }
}

/** Milliseconds to keep an entry: its freshness left, then `staleRetentionMs`. */
export function keptFor(life: number, age: number, staleRetentionMs: number): number {
  return Math.max(0, Math.ceil((life - age) * 1000)) + staleRetentionMs
}

export function single(value: string | string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

/** Response headers as stored (and merged from a 304): lower-cased, strings, without hop-by-hop fields and those Connection names (RFC 9110 §7.6.1). */
export function storableHeaders(headers: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  const connection = (single(headers.connection as string | undefined) ?? '').toLowerCase().split(',').map((h) => h.trim())
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (value === undefined || NOT_STORED.has(lower) || connection.includes(lower)) continue
    out[lower] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return out
}

function tagsOf(headers: Record<string, string | string[]>, tagHeader: string): string[] {
  const text = [single(headers[tagHeader]), single(headers['cache-tag'])].filter((t) => t !== undefined).join(' ')
  return text.split(/[\s,]+/).filter((t) => t.length > 0)
}

function localTags(res: ServerResponse): string[] {
  const tags = (res as ServerResponse & { locals?: { cacheTags?: unknown } }).locals?.cacheTags
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string' && t.length > 0) : []
}
