import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import createDebug from 'debug'
import type CachePolicy from 'http-cache-semantics'
import type { Store } from '../../src/index.js'
import { encodeCachedResponse, type CachedHead } from './cached-response.js'
import type { CacheStatus } from './cache-status.js'
import { PREFIX, policyRequest, type Decoded } from './entry-match.js'
import { holdBack } from './hold-back.js'
import type { ResolvedHttpCacheOptions } from './options.js'
import { single } from './storing-decision.js'
import { notModifiedSelects } from './validators.js'
import { withLowerCaseDirectives } from './directive-case.js'

const debug = createDebug('spillway:http')

export interface StaleEntryContext {
  opts: ResolvedHttpCacheOptions
  clock: () => number
  store: () => Store | undefined
  events: EventEmitter
  /** Counts a stale entry served in place of an origin error. */
  servedStale: () => void
  serve: (req: IncomingMessage, res: ServerResponse, entry: Decoded, headers: Record<string, string | string[]>, status: CacheStatus) => void
}

/**
 * A stale entry (one that matched the request, see entry-match.ts) on its way
 * to the origin. If it has validators, the request becomes conditional
 * (RFC 9111 §4.3.1): a 304 that selects the entry (§4.3.4) refreshes it,
 * under the variant's own key, and the client gets the cached response. If
 * the origin fails (5xx, or a thrown error the framework turns into one) while
 * stale-if-error or useStaleOnError allows, and nothing forbids stale use
 * (must-revalidate), the client gets the stale entry instead.
 */
export function revalidateOrFallBack(ctx: StaleEntryContext, req: IncomingMessage, res: ServerResponse, key: string, entry: Decoded,
  revalidationHeaders: CachePolicy.Headers | undefined): { answered(): boolean; renewal(): Promise<boolean> } {
  let renewal: Promise<boolean> = Promise.resolve(false)
  let answered = false
  const { opts } = ctx
  const clientHeaders = req.headers
  const clientConditional = clientHeaders['if-none-match'] !== undefined || clientHeaders['if-modified-since'] !== undefined
  const policy = entry.policy!
  if (revalidationHeaders !== undefined && (entry.head.headers.etag !== undefined || entry.head.headers['last-modified'] !== undefined)) {
    req.headers = { ...clientHeaders, ...revalidationHeaders } as IncomingMessage['headers']
  }
  const staleIfError = () => {
    if (entry.noStaleUse) return false
    const allowed = Math.max(directive(entry.head.headers['cache-control'], 'stale-if-error'), opts.useStaleOnError)
    return policy.age() - policy.maxAge() <= allowed
  }
  const selects = (headers: Record<string, unknown>) => notModifiedSelects(entry.head.headers, headers as Record<string, string>, clientConditional)
  // A 304 to a client that asked unconditionally answers the cache's validators alone: the cache answers,
  // updating the entry only if the 304 selects it. One that may answer the client's own goes to the client.
  const shouldHold = (status: number, headers: Record<string, unknown>) => (status === 304 && req.headers !== clientHeaders &&
    (!clientConditional || selects(headers))) || (status >= 500 && staleIfError())
  const held = holdBack(res, shouldHold, (status, originHeaders) => {
    answered = true
    req.headers = clientHeaders
    let serving = policy
    if (status === 304) {
      if (selects(originHeaders)) {
        serving = policy.revalidatedPolicy(policyRequest(req, key), { status: 304, headers: withLowerCaseDirectives(originHeaders as CachePolicy.Headers) }).policy as CachePolicy
        renewal = refreshEntry(ctx, key, entry, serving)
      }
    } else {
      ctx.servedStale()
    }
    ctx.serve(req, res, entry, serving.responseHeaders() as Record<string, string | string[]>, status === 304 ? { hit: true, fwd: 'stale', fwdStatus: 304 }
      : { fwd: 'stale', fwdStatus: status, detail: status === 504 ? 'origin-timeout' : 'stale-if-error' })
  })
  if (opts.originTimeoutMs > 0 && opts.useStaleOnError > 0) {
    const timer = setTimeout(() => {
      if (staleIfError() && held.preempt()) debug('origin timed out on %s: served stale', key)
    }, opts.originTimeoutMs)
    timer.unref()
    res.once('close', () => clearTimeout(timer))
  }
  return {
    /** Whether the cache answered in the route's place (then there is nothing new to store). */
    answered: () => answered,
    /** Whether a 304 renewed the entry, once its new copy is stored. */
    renewal: () => renewal,
  }
}

/** A 304 renewed `entry`: rewritten in place, under its own key, with its generation and tags; the Vary marker is left alone. */
function refreshEntry(ctx: StaleEntryContext, key: string, entry: Decoded, serving: CachePolicy): Promise<boolean> {
  const s = ctx.store()
  if (s === undefined || entry.head.key === undefined) return Promise.resolve(false)
  const head: CachedHead = { ...entry.head, headers: serving.responseHeaders() as Record<string, string | string[]>, policy: serving.toObject(), storedAt: ctx.clock() }
  delete head.headers.age
  return s.set(PREFIX + entry.head.key, encodeCachedResponse(head, entry.body), { ttl: serving.timeToLive() + ctx.opts.staleRetentionMs, tags: entry.head.tags ?? [] })
    .then(() => {
      ctx.events.emit('refreshed', key)
      return true
    }, (err) => {
      debug('refreshing %s failed: %s', key, err)
      return false
    })
}

/** A numeric Cache-Control directive (seconds), or 0. */
function directive(cacheControl: string | string[] | undefined, name: string): number {
  const m = new RegExp(`(?:^|,)\\s*${name}\\s*=\\s*"?(\\d+)`, 'i').exec(single(cacheControl) ?? '')
  return m === null ? 0 : Number(m[1])
}
