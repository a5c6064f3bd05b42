import type { IncomingMessage, ServerResponse } from 'node:http'
import createDebug from 'debug'
import CachePolicy from 'http-cache-semantics'
import { openStore, type Store } from '../src/index.js'
import { defaultKey, type CacheRequest } from './cache-key.js'
import { decodeCachedResponse, encodeCachedResponse, type CachedHead, type CachedResponse } from './cached-response.js'
import { DecodedEntries } from './decoded-entries.js'
import { formatCacheStatus, type CacheStatus } from './cache-status.js'
import { resolveHttpCacheOptions, type HttpCacheOptions } from './options.js'
import { teeResponse, type TeedResponse } from './response-tee.js'
import { holdBack } from './hold-back.js'
import { isRefresh, refreshInBackground } from './background-refresh.js'
import { serveCached } from './serve-cached.js'
import { decideToStore, single } from './storing-decision.js'
import { forwardedInputs, refusalOf } from './request-guard.js'
import { reportOpenFailure } from './open-failure.js'
import { acceptsCoding, preferredEncoding, variantKey } from './vary.js'

const debug = createDebug('spillway:http')

type Next = (err?: unknown) => void
export type HttpCacheMiddleware = ((req: IncomingMessage, res: ServerResponse, next: Next) => void) & {
  /** Invalidates a URL (a path like '/a?b=1', resolved against `host`) or a cache key, with all its variants. */
  purge(urlOrKey: string, host?: string): Promise<number>
  /** Invalidates every cached URL whose key starts with `prefix` (host + path). */
  purgePrefix(prefix: string): Promise<number>
  /** Invalidates every response tagged `tag` (Surrogate-Key, Cache-Tag or res.locals.cacheTags). */
  purgeTag(tag: string): Promise<number>
  stats(): HttpCacheStats
  /** Closes the store if the middleware opened it. */
  close(): Promise<void>
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
}

/** A stored response decoded, with its policy (none for a URL's Vary marker). */
type Decoded = CachedResponse & { policy: CachePolicy | undefined }

const UNSAFE = new Set(['POST', 'PUT', 'DELETE', 'PATCH'])
const PREFIX = 'http:'

/**
 * RFC 9111 shared-cache middleware for Express and Connect, over a spillway
 * store. The storing and freshness decisions are http-cache-semantics'; this
 * file adds keys and variants, the response tee, serving (304, HEAD, Range),
 * request coalescing, invalidation and Cache-Status. A cache problem never
 * fails a request: it passes through with a `debug` reason.
 */
export function httpCache(options: HttpCacheOptions): HttpCacheMiddleware {
  const opts = resolveHttpCacheOptions(options)
  const clock = opts.now ?? Date.now
  // http-cache-semantics reads the time through now() (untyped, but part of its class):
  // the store's injected clock then governs both.
  class Policy extends CachePolicy {
    now(): number {
      return clock()
    }
  }
  const ownsStore = opts.store === undefined
  let store: Store | undefined = opts.store
  const opening = store === undefined ? openStore({ ...opts, dir: opts.dir! }) : Promise.resolve(store)
  let openFailure: string | undefined
  opening.then((s) => { store = s }, (err) => { openFailure = reportOpenFailure(err, opts.dir) })
  const inflight = new Map<string, Promise<void>>()
  const stats: HttpCacheStats = { hits: 0, misses: 0, stale: 0, bypasses: 0, coalesced: 0, stored: 0, storedBytes: 0, errors: 0 }
  const keyOf: (req: CacheRequest) => string = opts.key ?? ((req) => defaultKey(req, opts))
  // The policy checks Vary itself on raw values: give it Accept-Encoding as normalised, as variant keys have it.
  const policyRequest = (req: IncomingMessage, key: string) => ({
    method: 'GET',
    url: key,
    headers: req.headers['accept-encoding'] === undefined ? req.headers
      : { ...req.headers, 'accept-encoding': preferredEncoding(req.headers['accept-encoding']) },
  })

  const decoded = new DecodedEntries<Decoded>((bytes) => {
    const response = decodeCachedResponse(bytes)
    return response === undefined ? undefined
      : { ...response, policy: response.head.status === 0 ? undefined : Policy.fromObject(response.head.policy) }
  })

  // Synchronous: a hit is served without a turn of the microtask queue.
  function lookup(s: Store, key: string, req: IncomingMessage): Decoded | 'uri-miss' | 'vary-miss' {
    const uri = PREFIX + key
    const entry = decoded.get(uri, s.getSync(uri))
    if (entry === undefined) return 'uri-miss'
    if (entry.head.status !== 0) return entry
    const variant = PREFIX + variantKey(key, entry.head.vary ?? [], req.headers)
    return decoded.get(variant, s.getSync(variant)) ?? 'vary-miss'
  }

  function forward(res: ServerResponse, next: Next, status: CacheStatus): void {
    if (!res.headersSent) res.setHeader('cache-status', formatCacheStatus(opts.cacheStatusName, status))
    next()
  }

  /** Keeps the response the tee saw, if the storing decision allows. */
  async function store_(s: Store, req: IncomingMessage, res: ServerResponse, key: string, teed: TeedResponse): Promise<void> {
    const decision = decideToStore(teed, res, key, opts, clock(), (status, headers) => new Policy(policyRequest(req, key), { status, headers },
      { shared: !opts.private, cacheHeuristic: opts.heuristic ? 0.1 : 0, ignoreCargoCult: false }))
    if ('notStored' in decision) return debug('not stored %s: %s', key, decision.notStored)
    const { head, varyFields: fields, ttl, tags } = decision
    if (fields.length > 0) {
      const marker: CachedHead = { ...head, status: 0, headers: {}, vary: fields }
      await s.set(PREFIX + key, encodeCachedResponse(marker, Buffer.alloc(0)), { ttl, tags: [`url:${key}`] })
    }
    const entry = encodeCachedResponse(head, teed.body!)
    await s.set(PREFIX + variantKey(key, fields, req.headers), entry, { ttl, tags })
    stats.stored++
    stats.storedBytes += entry.byteLength
  }

  async function invalidateAfterUnsafe(s: Store, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const teed = await new Promise<number>((resolve) => res.once('finish', () => resolve(res.statusCode)))
    if (teed >= 400) return
    const host = (req.headers.host ?? '').toLowerCase()
    await s.purgeTag(`url:${keyOf(req)}`)
    for (const name of ['location', 'content-location']) {
      const target = sameOriginPath(single(res.getHeader(name) as string | string[] | undefined), host)
      if (target !== undefined) await s.purgeTag(`url:${host}${target}`)
    }
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
    if (UNSAFE.has(method)) {
      invalidateAfterUnsafe(s, req, res).catch((err) => debug('invalidation failed: %s', err))
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
    const key = keyOf(req) + forwardedInputs(req, opts)
    const refresh = isRefresh(req)
    const found = refresh ? 'uri-miss' as const : lookup(s, key, req)
    let stale: Decoded | undefined
    let revalidation: CachePolicy.EvaluateRequestResult['revalidation']
    if (typeof found !== 'string' && acceptsCoding(req.headers['accept-encoding'], single(found.head.headers['content-encoding']))) {
      const cached = found.policy!
      const verdict = cached.evaluateRequest(policyRequest(req, key))
      if (verdict.revalidation === undefined && verdict.response !== undefined) {
        stats.hits++
        const headers = verdict.response.headers as Record<string, string | string[]>
        headers['cache-status'] = formatCacheStatus(opts.cacheStatusName, { hit: true, ttl: cached.timeToLive() / 1000 })
        return serveCached(req, res, found.head, headers, found.body)
      }
      if (verdict.revalidation !== undefined && !verdict.revalidation.synchronous && verdict.response !== undefined) {
        // stale-while-revalidate (RFC 5861): the stale entry now, one refresh behind it.
        stats.stale++
        refreshInBackground(req, key, (err) => debug('background refresh of %s failed: %s', key, err))
        const headers = verdict.response.headers as Record<string, string | string[]>
        headers['cache-status'] = formatCacheStatus(opts.cacheStatusName, { hit: true, fwd: 'stale', ttl: (cached.maxAge() - cached.age()) })
        return serveCached(req, res, found.head, headers, found.body)
      }
      stale = found
      revalidation = verdict.revalidation
    }
    if (onlyIfCached(req)) {
      res.statusCode = 504
      res.setHeader('cache-status', formatCacheStatus(opts.cacheStatusName, { fwd: 'miss', detail: 'only-if-cached' }))
      res.end()
      return
    }
    opts.admissionPolicy.sawMiss(key)
    const toOrigin = () => forwardToOrigin(s, req, res, next, key, refresh, found, stale, revalidation)
    const waitingOn = refresh ? undefined : inflight.get(key)
    if (waitingOn === undefined) return toOrigin()
    // Another request is fetching this URL: wait for it (up to lockTimeoutMs), then try the cache again.
    return Promise.race([waitingOn, new Promise((resolve) => setTimeout(resolve, opts.lockTimeoutMs).unref())]).then(() => {
      const again = lookup(s, key, req)
      if (typeof again === 'string' || !again.policy!.satisfiesWithoutRevalidation(policyRequest(req, key))) return toOrigin()
      stats.coalesced++
      stats.hits++
      const headers = again.policy!.responseHeaders() as Record<string, string | string[]>
      headers['cache-status'] = formatCacheStatus(opts.cacheStatusName, { hit: true, collapsed: true })
      serveCached(req, res, again.head, headers, again.body)
    })
  }

  /** A miss (or a stale entry to revalidate): the route runs, and the tee keeps what it sends. */
  function forwardToOrigin(s: Store, req: IncomingMessage, res: ServerResponse, next: Next, key: string, refresh: boolean,
    found: Decoded | 'uri-miss' | 'vary-miss', stale: Decoded | undefined, revalidation: CachePolicy.EvaluateRequestResult['revalidation']): void {
    const method = req.method ?? 'GET'
    stats.misses++
    if (stale !== undefined) revalidateOrFallBack(req, res, key, stale, revalidation)
    const teed = teeResponse(res, opts.maxEntryBytes)
    const done = teed.then((t) => (method === 'GET' ? store_(s, req, res, key, t) : undefined))
      .catch((err) => {
        stats.errors++
        debug('storing %s failed, response unaffected: %s', key, err)
      })
    if (method === 'GET' && !inflight.has(key)) {
      inflight.set(key, done)
      void done.finally(() => inflight.delete(key))
    }
    forward(res, next, { fwd: typeof found === 'string' ? (refresh ? 'request' : found) : 'stale' })
  }

  /**
   * A stale entry on its way to the origin. If it has validators, the request
   * becomes conditional (RFC 9111 §4.3.1): a 304 refreshes the entry and the
   * client gets the cached response. If the origin fails (5xx, or a thrown
   * error the framework turns into one) while stale-if-error or
   * useStaleOnError allows, the client gets the stale entry instead.
   */
  function revalidateOrFallBack(req: IncomingMessage, res: ServerResponse, key: string, entry: Decoded,
    revalidation: CachePolicy.EvaluateRequestResult['revalidation']): void {
    const clientHeaders = req.headers
    const policy = entry.policy!
    if (revalidation !== undefined && (entry.head.headers.etag !== undefined || entry.head.headers['last-modified'] !== undefined)) {
      req.headers = { ...clientHeaders, ...revalidation.headers } as IncomingMessage['headers']
    }
    const staleIfError = () => {
      const allowed = Math.max(directive(entry.head.headers['cache-control'], 'stale-if-error'), opts.useStaleOnError)
      return policy.age() - policy.maxAge() <= allowed
    }
    const held = holdBack(res, (status) => (status === 304 && req.headers !== clientHeaders) || (status >= 500 && staleIfError()), (status, originHeaders) => {
      req.headers = clientHeaders
      let serving = policy
      if (status === 304) {
        serving = policy.revalidatedPolicy(policyRequest(req, key), { status: 304, headers: originHeaders as CachePolicy.Headers }).policy as CachePolicy
        const s = store
        if (s !== undefined) {
          const head: CachedHead = { ...entry.head, headers: serving.responseHeaders() as Record<string, string | string[]>, policy: serving.toObject(), storedAt: clock() }
          delete head.headers.age
          s.set(PREFIX + variantKey(key, entry.head.vary ?? [], req.headers), encodeCachedResponse(head, entry.body),
            { ttl: serving.timeToLive() + opts.staleRetentionMs, tags: [`url:${key}`] }).catch((err) => debug('refreshing %s failed: %s', key, err))
        }
      } else {
        stats.stale++
      }
      const headers = serving.responseHeaders() as Record<string, string | string[]>
      headers['cache-status'] = formatCacheStatus(opts.cacheStatusName, status === 304 ? { hit: true, fwd: 'stale', fwdStatus: 304 }
        : { fwd: 'stale', fwdStatus: status, detail: status === 504 ? 'origin-timeout' : 'stale-if-error' })
      serveCached(req, res, entry.head, headers, entry.body)
    })
    if (opts.originTimeoutMs > 0 && opts.useStaleOnError > 0) {
      const timer = setTimeout(() => {
        if (staleIfError() && held.preempt()) debug('origin timed out on %s: served stale', key)
      }, opts.originTimeoutMs)
      timer.unref()
      res.once('close', () => clearTimeout(timer))
    }
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
    const key = urlOrKey.startsWith('/') ? `${(host ?? '').toLowerCase()}${urlOrKey}` : urlOrKey
    return s.purgeTag(`url:${key}`)
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
  middleware.stats = () => ({ ...stats })
  middleware.close = async () => {
    // A store that never opened has nothing to close (its error was logged when it failed).
    if (ownsStore) await opening.then((s) => s.close(), () => {})
  }
  return middleware
}

/** A numeric Cache-Control directive (seconds), or 0. */
function directive(cacheControl: string | string[] | undefined, name: string): number {
  const m = new RegExp(`(?:^|,)\\s*${name}\\s*=\\s*"?(\\d+)`, 'i').exec(single(cacheControl) ?? '')
  return m === null ? 0 : Number(m[1])
}

function onlyIfCached(req: IncomingMessage): boolean {
  return /(^|,)\s*only-if-cached\s*(,|$)/i.test(req.headers['cache-control'] ?? '')
}

/** The path of a same-origin Location or Content-Location, or undefined. */
function sameOriginPath(value: string | undefined, host: string): string | undefined {
  if (value === undefined || value === '') return undefined
  if (value.startsWith('/')) return value
  try {
    const url = new URL(value)
    return url.host.toLowerCase() === host ? `${url.pathname}${url.search}` : undefined
  } catch {
    return undefined
  }
}
