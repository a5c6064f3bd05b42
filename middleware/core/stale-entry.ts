import type { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import createDebug from 'debug'
import type { Store } from '../../src/index.js'
import { encodeCachedResponse, type CachedHead } from './cached-response.js'
import type { CacheStatus } from './cache-status.js'
import { PREFIX, type Decoded } from './entry-match.js'
import { assess, currentAge, requestDirectives, staleIfError, type PolicyOptions } from './freshness.js'
import { holdBack } from './hold-back.js'
import type { ResolvedHttpCacheOptions } from './options.js'
import { keptFor, storableHeaders } from './storing-decision.js'
import { notModifiedSelects } from './validators.js'

const debug = createDebug('spillway:http')

export interface StaleEntryContext {
  opts: ResolvedHttpCacheOptions
  policy: PolicyOptions
  clock: () => number
  store: () => Store | undefined
  events: EventEmitter
  /** Counts a stale entry served in place of an origin error. */
  servedStale: () => void
  serve: (req: IncomingMessage, res: ServerResponse, entry: Decoded, status: CacheStatus, age: number, headers: Record<string, string | string[]>) => void
}

/**
 * A stale entry (one that matched the request, see entry-match.ts) on its way
 * to the origin. If it has validators, the request becomes conditional
 * (RFC 9111 §4.3.1): a 304 that selects the entry (§4.3.4) freshens it
 * (§4.3.4, §3.2), under the variant's own key, and the client gets the cached
 * response. If the origin fails (500, 502, 503 or 504, or a thrown error the
 * framework turns into one) while stale-if-error, the request's or the
 * origin's, or useStaleOnError allows, and nothing forbids stale use, the
 * client gets the stale entry instead (RFC 5861 §4). `forwardedAs` says why
 * it went forward, for Cache-Status: stale, or a fresh entry the request's
 * own directives sent on (RFC 9211 §2.2 `request`).
 */
export function revalidateOrFallBack(ctx: StaleEntryContext, req: IncomingMessage, res: ServerResponse, key: string, entry: Decoded,
  conditional: Record<string, string>, forwardedAs: 'stale' | 'request'): { answered(): boolean; takenOver(): boolean; renewal(): Promise<boolean> } {
  let renewal: Promise<boolean> = Promise.resolve(false)
  let answered = false
  const { opts } = ctx
  const clientHeaders = req.headers
  const clientConditional = clientHeaders['if-none-match'] !== undefined || clientHeaders['if-modified-since'] !== undefined
  const fresh = entry.fresh!
  const requested = ctx.clock()
  if (conditional['if-none-match'] !== undefined || conditional['if-modified-since'] !== undefined) {
    req.headers = { ...clientHeaders, ...conditional }
  }
  const mayServeStale = (status: number) => staleIfError(fresh, status, requestDirectives(clientHeaders), opts.useStaleOnError, ctx.clock())
  const selects = (headers: Record<string, unknown>) => notModifiedSelects(entry.head.headers, headers as Record<string, string>)
  // A 304 to a client that asked unconditionally answers the cache's validators alone: the cache answers,
  // updating the entry only if the 304 selects it. One that may answer the client's own goes to the client.
  const shouldHold = (status: number, headers: Record<string, unknown>) => (status === 304 && req.headers !== clientHeaders &&
    (!clientConditional || selects(headers))) || mayServeStale(status)
  const held = holdBack(res, shouldHold, (status, originHeaders) => {
    answered = true
    req.headers = clientHeaders
    const now = ctx.clock()
    let headers = entry.head.headers
    let age = currentAge(fresh, now)
    if (status === 304 && selects(originHeaders)) {
      const freshened = freshen(ctx, req, entry.head, originHeaders, requested, now)
      headers = freshened.head.headers
      age = currentAge(freshened.head.fresh!, now)
      renewal = freshened.storable ? refreshEntry(ctx, key, freshened.head, entry.body) : forget(ctx, key, entry.head)
    } else if (status !== 304) {
      ctx.servedStale()
    }
    // RFC 9211 §2.1: forwarded, so no hit, even when the 304 let the cache answer.
    ctx.serve(req, res, entry, status === 304 ? { fwd: forwardedAs, fwdStatus: 304 }
      : { fwd: forwardedAs, fwdStatus: status, detail: status === 504 ? 'origin-timeout' : 'stale-if-error' }, age, headers)
  })
  if (opts.originTimeoutMs > 0 && opts.useStaleOnError > 0) {
    const timer = setTimeout(() => {
      if (mayServeStale(504) && held.preempt()) debug('origin timed out on %s: served stale', key)
    }, opts.originTimeoutMs)
    timer.unref()
    res.once('close', () => clearTimeout(timer))
  }
  return {
    /** Whether the cache answered in the route's place (then there is nothing new to store). */
    answered: () => answered,
    /** Whether the cache answers in the route's place, decided from the route's head on (answered() follows at its end). */
    takenOver: () => held.held(),
    /** Whether a 304 renewed the entry, once its new copy is stored. */
    renewal: () => renewal,
  }
}

/** Fields a 304 never replaces (RFC 9111 §3.2): those the stored body depends on, and its length. */
const KEPT_FROM_STORED = ['content-length', 'content-encoding', 'content-range']

/**
 * The stored response freshened by a 304 (RFC 9111 §3.2, §4.3.4): each field
 * the 304 carries added or replacing the stored one, except those excluded
 * from storing and those the stored body depends on; then its freshness
 * decided again, as for a response received now.
 */
function freshen(ctx: StaleEntryContext, req: IncomingMessage, stored: CachedHead, notModified: Record<string, unknown>, requested: number, received: number):
  { head: CachedHead; storable: boolean } {
  const update = storableHeaders(notModified)
  for (const name of KEPT_FROM_STORED) delete update[name]
  const headers = { ...stored.headers, ...update }
  const assessed = assess(stored.status, headers, requested, received, req.headers.authorization !== undefined, ctx.policy)
  if (!assessed.storable) return { head: { ...stored, headers, fresh: { at: received, age: 0, life: 0, stale: 'never' } }, storable: false }
  for (const name of assessed.omit) delete headers[name]
  delete headers.age
  return { head: { ...stored, headers, fresh: assessed.fresh, storedAt: received }, storable: true }
}

/** A 304 renewed the entry: rewritten in place, under its own key, with its generation and tags; the Vary marker is left alone. */
function refreshEntry(ctx: StaleEntryContext, key: string, head: CachedHead, body: Buffer): Promise<boolean> {
  const s = ctx.store()
  if (s === undefined || head.key === undefined) return Promise.resolve(false)
  const fresh = head.fresh!
  return s.set(PREFIX + head.key, encodeCachedResponse(head, body), { ttl: keptFor(fresh.life, fresh.age, ctx.opts.staleRetentionMs), tags: head.tags ?? [] })
    .then(() => {
      ctx.events.emit('refreshed', key)
      return true
    }, (err) => {
      debug('refreshing %s failed: %s', key, err)
      return false
    })
}

/** A 304 made the entry unstorable (it now says no-store, say): removed, so it is not served again. */
function forget(ctx: StaleEntryContext, key: string, head: CachedHead): Promise<boolean> {
  const s = ctx.store()
  if (s === undefined || head.key === undefined) return Promise.resolve(false)
  return s.delete(PREFIX + head.key).then(() => false, (err) => {
    debug('removing %s failed: %s', key, err)
    return false
  })
}
