import type { EventEmitter } from 'node:events'
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http'
import type { Store } from '../../src/index.js'
import type { CacheRequest } from './cache-key.js'
import type { CachedResponse } from './cached-response.js'
import type { Coalescer } from './coalescing.js'
import { PREFIX } from './entry-match.js'
import type { TeedResponse } from './response-tee.js'

/**
 * Invalidation by URL (RFC 9111 §4.4), with no per-entry tag: the keys are
 * computed from the URL, as a request for it would compute them. Deleting a
 * URL's entry removes the response, or the Vary marker of its variants; a
 * variant is served only under a marker of its own generation, so the
 * variants go with it, also after a restart (see CachedHead.gen).
 *
 * A request whose method is not known to be safe (RFC 9110 §9.2.1: only
 * GET, HEAD, OPTIONS and TRACE are; WebDAV's and unknown ones are not) marks
 * its URL as pending from its arrival to its invalidation: a request behind
 * it (pipelined on the same socket, say) is neither served the old entry nor
 * stores what it gets meanwhile.
 */
export class Invalidation {
  readonly #pending = new Map<string, number>()
  readonly #keyOf: (req: CacheRequest) => string
  readonly #coalescer: Coalescer
  readonly #events: EventEmitter

  constructor(keyOf: (req: CacheRequest) => string, coalescer: Coalescer, events: EventEmitter) {
    this.#keyOf = keyOf
    this.#coalescer = coalescer
    this.#events = events
  }

  isPending(key: string): boolean {
    // Checked on every hit: with nothing pending, the key need not be hashed.
    return this.#pending.size !== 0 && this.#pending.has(key)
  }

  /**
   * The key a GET of `pathAndQuery` on `host` has. Given the request that
   * named the URL (an unsafe one, whose Location it is), the GET is that
   * request in all else (headers, socket), so the key is built as that
   * client's own GET of it would be.
   */
  keyOfUrl(pathAndQuery: string, host: string, like?: IncomingMessage): string {
    const fields = { method: 'GET', url: pathAndQuery, originalUrl: pathAndQuery }
    const req = like === undefined ? { ...fields, headers: { host } } : Object.assign(Object.create(like) as object, fields)
    return this.#keyOf(req as CacheRequest)
  }

  /** Deletes the URL's entry (or marker); emits 'invalidated' (key). Returns 1 if there was one. */
  async invalidate(s: Store, key: string): Promise<number> {
    this.#coalescer.invalidate(key)
    const deleted = await s.delete(PREFIX + key)
    this.#events.emit('invalidated', key)
    return deleted ? 1 : 0
  }

  /**
   * A method not known to be safe: once its response finishes with a
   * non-error status (2xx, 3xx: RFC 9111 §4.4), its URL and a same-origin
   * Location or Content-Location are invalidated.
   */
  async afterUnsafe(s: Store, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const key = this.#keyOf(req)
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + 1)
    try {
      const status = await new Promise<number>((resolve) => {
        res.once('finish', () => resolve(res.statusCode))
        res.once('close', () => resolve(res.writableFinished ? res.statusCode : 500))
      })
      if (status >= 400) return
      const host = (req.headers.host ?? '').toLowerCase()
      const keys = new Set([key])
      for (const name of ['location', 'content-location']) {
        const target = sameOriginTarget(res.getHeader(name), host, (req as CacheRequest).originalUrl ?? req.url ?? '/')
        if (target !== undefined) keys.add(this.keyOfUrl(target, host, req))
      }
      for (const k of keys) await this.invalidate(s, k)
    } finally {
      const left = this.#pending.get(key)! - 1
      if (left === 0) this.#pending.delete(key)
      else this.#pending.set(key, left)
    }
  }

  /**
   * A 200 to a HEAD the cache forwarded, for which `stored` could have been
   * chosen (RFC 9111 §4.3.5): if a validator the HEAD response carries (ETag,
   * Last-Modified) or its Content-Length differs from the stored response's,
   * the stored response is deleted (the section allows updating or
   * invalidating it), that variant alone. A GET response stored under the
   * same key meanwhile goes with it: one more miss, never a wrong answer.
   * Emits 'invalidated' (key) when it deletes. Resolves to whether it did.
   */
  async afterHead(s: Store, key: string, stored: CachedResponse, head: TeedResponse): Promise<boolean> {
    if (head.outcome !== 'finished' || head.status !== 200 || stored.head.key === undefined || !contradicts(stored, head.headers)) return false
    await s.delete(PREFIX + stored.head.key)
    this.#events.emit('invalidated', key)
    return true
  }
}

/** Whether a HEAD response's validators or Content-Length, where it has them, differ from a stored response's. */
function contradicts(stored: CachedResponse, head: OutgoingHttpHeaders): boolean {
  const was = stored.head.headers
  for (const name of ['etag', 'last-modified']) {
    const now = fieldText(head[name])
    if (now !== undefined && now !== fieldText(was[name])) return true
  }
  const length = fieldText(head['content-length'])
  return length !== undefined && Number(length) !== Number(fieldText(was['content-length']) ?? stored.body.byteLength)
}

function fieldText(value: OutgoingHttpHeaders[string]): string | undefined {
  if (value === undefined) return undefined
  return (Array.isArray(value) ? value.join(', ') : String(value)).trim()
}

/** The path and query of a Location that resolves (against the request URL) to the same origin, or undefined. */
function sameOriginTarget(value: unknown, host: string, requestUrl: string): string | undefined {
  const text = Array.isArray(value) ? String(value[0]) : value === undefined ? '' : String(value)
  if (text === '' || host === '') return undefined
  try {
    const base = new URL(requestUrl, `http://${host}`)
    const url = new URL(text, base)
    return url.host.toLowerCase() === host ? `${url.pathname}${url.search}` : undefined
  } catch {
    return undefined
  }
}
