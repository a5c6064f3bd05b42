import { EventEmitter } from 'node:events'
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import createDebug from 'debug'
import { openStore, type Store, type StoreStats } from '../../src/index.js'
import { defaultKey, type CacheRequest } from './cache-key.js'
import { encodeCachedResponse, type CachedHead } from './cached-response.js'
import { DecodedEntries } from './decoded-entries.js'
import { formatCacheStatus, type CacheStatus, type Forward } from './cache-status.js'
import { policyOptionsOf, resolveHttpCacheOptions, type HttpCacheOptions } from './options.js'
import { teeResponse, type TeedResponse } from './response-tee.js'
import { isRefresh, refreshInBackground } from './background-refresh.js'
import { serveCached } from './serve-cached.js'
import { decideToStore } from './storing-decision.js'
import { variantKey } from './vary.js'
import { Coalescer, type Flight } from './coalescing.js'
import { decodeEntry, evaluate, flightKey, lookupEntry, PREFIX, type Decoded, type Found, type RequestKey } from './entry-match.js'
import { Invalidation } from './invalidation.js'
import { withStoredPieces } from './partial-content.js'
import { setHeaderAtHead } from './status-at-head.js'
import { revalidateOrFallBack, type StaleEntryContext } from './stale-entry.js'
import { forwardedInputs, refusalOf } from './request-guard.js'
import { reportOpenFailure } from './open-failure.js'

const debug = createDebug('spillway:http')

type Next = (err?: unknown) => void
/** What every front end's cache object carries: the purges, stats, events and close. */
export interface HttpCacheControls {
  /** Invalidates a URL (a path like '/a?b=1', resolved against `host`, with its port) or a cache key, with all its variants. */
  purge(urlOrKey: string, host?: string): Promise<number>
  /** Invalidates every cached URL whose key starts with `prefix` (host + path). */
  purgePrefix(prefix: string): Promise<number>
  /** Invalidates every response tagged `tag` (Surrogate-Key, Cache-Tag or res.locals.cacheTags). */
  purgeTag(tag: string): Promise<number>
  stats(): HttpCacheStats
  /**
   * What the cache did, for tests and monitoring: 'stored' (key), 'not-stored'
   * (key, reason), 'refreshed' (key: a 304 renewed the entry, or a
   * stale-while-revalidate refresh stored a new one), 'refreshing' (key: this
   * process sent a stale-while-revalidate refresh, the one refresh of the key
   * under way among the processes on the store), 'invalidated' (key) and
   * 'waiting' (key, how many requests in this process now wait on its one
   * fetch, in this process or another).
   */
  events: EventEmitter
  /** Closes the store if the cache opened it. */
  close(): Promise<void>
}

export type HttpCacheMiddleware = ((req: IncomingMessage, res: ServerResponse, next: Next) => void) & HttpCacheControls & {
  /**
   * A `node:http` request listener that answers hits itself, before `app`
   * sees the request, and hands every other request to `app` unchanged,
   * storing what it sends by the same rules:
   * `http.createServer(cache.handler(app))`. A hit then costs no framework
   * work (no router, no request and response decoration). Use it when the
   * whole app sits behind one cache; mount the middleware instead when only
   * some routes are cached or when middleware before the cache (sessions,
   * compression, request ids) must shape what is stored and served.
   */
  handler(app: RequestListener): RequestListener
  /**
   * The stats() of the store under the cache (its tiers, journals,
   * compactions and evictions), or undefined while it opens or when it
   * could not.
   */
  storeStats(): StoreStats | undefined
}

export interface HttpCacheStats {
  hits: number
  misses: number
  stale: number
  bypasses: number
  coalesced: number
  stored: number
  storedBytes: number
  errors: number
  /** Bytes of responses being copied for storing right now. */
  bufferedBytes: number
}

/** RFC 9110 §9.2.1. Every other method, unknown ones included, invalidates its URL on success (RFC 9111 §4.4). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

/** @internal Seams for the other middleware modules, not options for users. */
export interface HttpCacheInternals {
  /**
   * Request inputs keyed as if the response named them in Vary (forwarded
   * headers the framework trusts), as a string; '' for none. @default () => ''
   */
  requestSuffix?: (req: IncomingMessage) => string
}

/**
 * RFC 9111 shared-cache middleware for Express and Connect, over a spillway
 * store. The storing and freshness decisions are freshness.ts'; the
 * match of a stored response to a request is entry-match.ts', for every
 * serving path; this file adds the response tee, serving (304, HEAD, Range),
 * coalescing, invalidation and Cache-Status. A cache problem never fails a
 * request: it passes through with a `debug` reason.
 */
export function httpCache(options: HttpCacheOptions, internals: HttpCacheInternals = {}): HttpCacheMiddleware {
  const opts = resolveHttpCacheOptions(options)
  const clock = opts.now ?? Date.now
  const policy = policyOptionsOf(opts)
  const ownsStore = opts.store === undefined
  let store: Store | undefined = opts.store
  const opening = store === undefined ? openStore({ ...opts, dir: opts.dir! }) : Promise.resolve(store)
  let openFailure: string | undefined
  opening.then((s) => { store = s }, (err) => { openFailure = reportOpenFailure(err, opts.dir) })
  const events = new EventEmitter()
  const coalescer = new Coalescer(events, { leases: () => store?.leases, leaseMs: opts.lockTimeoutMs })
  const stats: HttpCacheStats = { hits: 0, misses: 0, stale: 0, bypasses: 0, coalesced: 0, stored: 0, storedBytes: 0, errors: 0, bufferedBytes: 0 }
  const buffered = { bytes: 0 }
  const keyOf: (req: CacheRequest) => string = opts.key ?? ((req) => defaultKey(req, opts))
  const requestSuffix = internals.requestSuffix ?? ((req: IncomingMessage) => forwardedInputs(req, opts))
  const invalidation = new Invalidation(keyOf, coalescer, events)
  const decoded = new DecodedEntries<Decoded>(decodeEntry)

  const staleContext: StaleEntryContext = { opts, policy, clock, store: () => store, events, servedStale: () => { stats.stale++ }, serve }

  function lookup(s: Store, key: RequestKey, req: IncomingMessage): Found {
    return invalidation.isPending(key.base) ? 'uri-miss' : lookupEntry(s, decoded, key, req)
  }

  function forward(res: ServerResponse, next: Next, status: CacheStatus): void {
    if (!res.headersSent) setHeaderAtHead(res, 'cache-status', formatCacheStatus(opts.cacheStatusName, status))
    next()
  }

  function serve(req: IncomingMessage, res: ServerResponse, entry: Decoded, status: CacheStatus, age: number, headers = entry.head.headers): void {
    serveCached(req, res, entry.head, headers, entry.body, age, formatCacheStatus(opts.cacheStatusName, status))
  }

  /**
   * Keeps the response the tee saw, if the storing decision allows: at the
   * URL's key, or as a variant under its marker (when it varies, when the
   * request has a suffix, or when the URL has a marker already), joining the
   * marker's generation or starting a new one. A response that names no Vary
   * field, for a URL whose marker names some, is keyed by the marker's fields
   * (RFC 9111 §4.1): it answers requests like its own, and the variants
   * stored before it stay.
   */
  async function store_(s: Store, req: IncomingMessage, res: ServerResponse, key: RequestKey, teed: TeedResponse, flight: Flight | undefined,
    requested: number): Promise<boolean> {
    const { base } = key
    const decision = teed.notKept !== undefined ? { notStored: teed.notKept } : decideToStore(teed, req, res, base, opts, policy, { requested, received: clock() })
    if ('notStored' in decision || flight?.invalidated === true || invalidation.isPending(base)) {
      const reason = 'notStored' in decision ? decision.notStored : 'invalidated meanwhile'
      debug('not stored %s: %s', base, reason)
      events.emit('not-stored', base, reason)
      return false
    }
    const { ttl, tags } = decision
    const head: CachedHead = { ...decision.head, key: base, tags }
    const marker = decoded.get(PREFIX + base, s.getSync(PREFIX + base))
    const hasMarker = marker?.head.status === 0 && marker.head.gen !== undefined
    let fields = decision.varyFields
    if (fields.length === 0 && hasMarker && (marker!.head.vary ?? []).length > 0) {
      fields = marker!.head.vary!
      head.vary = fields
    }
    let markerHead: CachedHead | undefined
    if (fields.length > 0 || key.suffix !== '' || hasMarker) {
      const now = clock()
      const same = hasMarker && (marker!.head.vary ?? []).join() === fields.join()
      head.gen = same ? marker!.head.gen! : randomBytes(8).toString('hex')
      head.key = variantKey(base, fields, req.headers, key.suffix)
      const until = Math.max(same ? marker!.head.until ?? 0 : 0, now + ttl)
      // A marker serves no request: it holds the fields that pick a variant, and their generation.
      if (!same || until > (marker!.head.until ?? 0)) markerHead = { v: 2, status: 0, headers: {}, storedAt: now, vary: fields, gen: head.gen, until, key: base }
    }
    let stored = { head, body: teed.body! }
    // A 206 joins the pieces stored under its key, or is refused, before the marker changes: a refused piece
    // must not start a new generation that leaves the URL's variants behind.
    if (head.status === 206) {
      const pieces = withStoredPieces(head, teed.body!, decoded.get(PREFIX + head.key, s.getSync(PREFIX + head.key)))
      if ('notStored' in pieces) {
        debug('not stored %s: %s', base, pieces.notStored)
        events.emit('not-stored', base, pieces.notStored)
        return false
      }
      stored = pieces
    }
    if (markerHead !== undefined) await s.set(PREFIX + base, encodeCachedResponse(markerHead, Buffer.alloc(0)), { ttl: markerHead.until! - markerHead.storedAt })
    const entry = encodeCachedResponse(stored.head, stored.body)
    await s.set(PREFIX + head.key, entry, { ttl, tags })
    stats.stored++
    stats.storedBytes += entry.byteLength
    events.emit('stored', base)
    if (isRefresh(req)) events.emit('refreshed', base)
    return true
  }

  /**
   * Serves a hit, or sends the request on to the origin, synchronously; only
   * a request that waits for another one fetching its URL returns a promise.
   * A hit thus costs no promise and no turn of the microtask queue.
   */
  function handle(req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> | void {
    const s = store
    const method = req.method ?? 'GET'
    if (s === undefined) {
      stats.bypasses++
      return forward(res, next, { fwd: 'bypass', detail: openFailure ?? 'store not ready' })
    }
    const refused = refusalOf(req, opts)
    if (refused !== undefined) {
      stats.bypasses++
      return forward(res, next, { fwd: 'bypass', detail: refused })
    }
    if (!SAFE.has(method)) {
      invalidation.afterUnsafe(s, req, res).catch((err) => debug('invalidation failed: %s', err))
      return forward(res, next, { fwd: 'method' })
    }
    if (!(opts.methods as string[]).includes(method)) {
      stats.bypasses++
      return forward(res, next, { fwd: 'method' })
    }
    if ((req.headers.authorization !== undefined && !opts.allowAuthorization) || (req.headers.cookie !== undefined && !opts.allowCookies)) {
      stats.bypasses++
      debug('bypass %s: request carries credentials', req.url)
      return forward(res, next, { fwd: 'bypass', detail: 'credentials' })
    }
    const key: RequestKey = { base: keyOf(req), suffix: requestSuffix(req) }
    const refresh = isRefresh(req)
    const found = refresh ? 'uri-miss' as const : lookup(s, key, req)
    let stale: Decoded | undefined
    let conditional: Record<string, string> = {}
    let forwardAs: Forward = typeof found === 'string' ? found : 'stale'
    if (typeof found !== 'string') {
      const verdict = evaluate(found, req, clock())
      if (verdict.use === 'fresh') {
        stats.hits++
        return serve(req, res, found, { hit: true, ttl: verdict.ttl }, verdict.age)
      }
      if (verdict.use === 'stale-while-revalidate') {
        // RFC 5861: the stale entry now, one refresh behind it. None while a fetch of the URL is under way:
        // the sender of a refresh lets go of it when its response ends, a moment before that response is stored.
        stats.stale++
        if (!coalescer.fetching(flightKey(key)) && refreshInBackground(req, flightKey(key), (err) => debug('background refresh of %s failed: %s', key.base, err), s.leases, opts.lockTimeoutMs)) {
          events.emit('refreshing', key.base)
        }
        // RFC 9211 §2.1: a hit, as this request was not forwarded; the refresh behind it is another request.
        return serve(req, res, found, { hit: true, ttl: verdict.ttl, detail: 'stale-while-revalidate' }, verdict.age)
      }
      // A partial entry that does not hold the range is no stale copy of the answer: a plain miss.
      if (verdict.why !== 'partial') stale = found
      conditional = verdict.conditional
      forwardAs = verdict.why
    }
    if (onlyIfCached(req)) {
      res.statusCode = 504
      res.setHeader('cache-status', formatCacheStatus(opts.cacheStatusName, { fwd: 'miss', detail: 'only-if-cached' }))
      res.end()
      return
    }
    opts.admissionPolicy.sawMiss(key.base)
    // Only a GET's response is stored, so only a GET leads the requests that come after it.
    const leads = () => method === 'GET' && !invalidation.isPending(key.base)
    // Matched again, as any hit, after another request's fetch: true when served.
    const servedFresh = () => {
      const again = refresh ? 'uri-miss' : lookup(s, key, req)
      if (typeof again === 'string') return false
      const verdict = evaluate(again, req, clock())
      if (verdict.use !== 'fresh') return false
      stats.coalesced++
      stats.hits++
      serve(req, res, again, { hit: true, collapsed: true }, verdict.age)
      return true
    }
    const fetch = (flight: Flight | undefined) => {
      if (flight?.leased === true && servedFresh()) return flight.release('stored')
      forwardToOrigin(s, req, res, next, key, refresh ? 'request' : forwardAs, stale, conditional, flight)
    }
    const toOrigin = () => fetch(leads() ? coalescer.lead(flightKey(key)) : undefined)
    if (refresh) return toOrigin()
    const turn = coalescer.join(flightKey(key), opts.lockTimeoutMs, leads())
    if (turn.wait === undefined) return fetch(turn.flight)
    // Another request, here or in another process, is fetching this URL: wait for it (up to lockTimeoutMs), then match again.
    return turn.wait.then(() => {
      if (!servedFresh()) toOrigin()
    })
  }

  /** A miss (or a stale entry to revalidate): the route runs, and the tee keeps what it sends. */
  function forwardToOrigin(s: Store, req: IncomingMessage, res: ServerResponse, next: Next, key: RequestKey, forwardAs: Forward,
    stale: Decoded | undefined, conditional: Record<string, string>, flight: Flight | undefined): void {
    const method = req.method ?? 'GET'
    const requested = clock()
    stats.misses++
    let revalidating: ReturnType<typeof revalidateOrFallBack> | undefined
    try {
      revalidating = stale === undefined ? undefined : revalidateOrFallBack(staleContext, req, res, key.base, stale, conditional, forwardAs === 'request' ? 'request' : 'stale')
    } catch (err) {
      // The flight was started before: let its waiters (here and in other processes) go.
      flight?.release('failed')
      throw err
    }
    const canStore = (status: number, headers: TeedResponse['headers']) => {
      const decision = decideToStore({ outcome: 'finished', status, headers, body: Buffer.alloc(0) }, req, res, key.base, opts, policy, { requested, received: clock() })
      return !('notStored' in decision)
    }
    const teed = teeResponse(res, opts.maxEntryBytes, {
      gauge: buffered,
      onHead: (status, headers) => method === 'GET' && canStore(status, headers),
      // Ruled out at the head or past maxEntryBytes: the waiters need not wait for the end. Not so for a
      // revalidation: a held 304 renews the entry, which they then can be served.
      onGiveUp: () => (revalidating === undefined ? flight?.release('unstorable') : undefined),
    })
    // RFC 9111 §4.3.5: the origin's 200 to a HEAD may say the stored GET response it could have had has changed.
    if (method === 'HEAD' && stale !== undefined) {
      teed.then((t) => revalidating?.answered() !== true && invalidation.afterHead(s, key.base, stale, t)).catch((err) => debug('HEAD check of %s failed: %s', key.base, err))
    }
    teed.then((t) => (method === 'GET' && revalidating?.answered() !== true ? store_(s, req, res, key, t, flight, requested) : false))
      .then(async (stored) => stored || (await revalidating?.renewal()) === true)
      .then((stored) => {
        if (flight !== undefined) flight.release(stored ? 'stored' : 'failed')
        else if (stored) coalescer.stored(flightKey(key))
      }, (err) => {
        flight?.release('failed')
        stats.errors++
        debug('storing %s failed, response unaffected: %s', key.base, err)
      })
    forward(res, next, { fwd: forwardAs })
  }

  const middleware = ((req: IncomingMessage, res: ServerResponse, next: Next) => {
    let forwarded = false
    const onceNext: Next = (err) => {
      if (forwarded) return
      forwarded = true
      next(err)
    }
    const failed = (err: unknown) => {
      stats.errors++
      debug('cache error, passing through: %s', err)
      if (!res.headersSent) onceNext()
    }
    try {
      const waiting = handle(req, res, onceNext)
      if (waiting instanceof Promise) waiting.catch(failed)
    } catch (err) {
      failed(err)
    }
  }) as HttpCacheMiddleware

  middleware.purge = async (urlOrKey, host) => {
    const s = await opening
    const key = urlOrKey.startsWith('/') ? invalidation.keyOfUrl(urlOrKey, (host ?? '').toLowerCase()) : urlOrKey
    return invalidation.invalidate(s, key)
  }
  middleware.purgePrefix = async (prefix) => {
    const s = await opening
    let purged = 0
    const keys: string[] = []
    for await (const key of s.keys()) if (key.startsWith(PREFIX + prefix)) keys.push(key)
    for (const key of keys) if (await s.delete(key)) purged++
    return purged
  }
  middleware.purgeTag = async (tag) => (await opening).purgeTag(tag)
  middleware.handler = (app) => (req, res) => middleware(req, res, () => {
    try {
      app(req, res)
    } catch (err) {
      // The app's own error, not the cache's: uncaught, as it would be with no cache in front.
      process.nextTick(() => { throw err })
    }
  })
  middleware.stats = () => ({ ...stats, bufferedBytes: buffered.bytes })
  middleware.storeStats = () => store?.stats()
  middleware.events = events
  middleware.close = async () => {
    // A store that never opened has nothing to close (its error was logged when it failed).
    if (ownsStore) await opening.then((s) => s.close(), () => {})
  }
  return middleware
}

function onlyIfCached(req: IncomingMessage): boolean {
  return /(^|,)\s*only-if-cached\s*(,|$)/i.test(req.headers['cache-control'] ?? '')
}
