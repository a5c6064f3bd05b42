import { Writable } from 'node:stream'
import createDebug from 'debug'
import type { CacheKey, CacheStore, CacheValue, GetResult } from './undici/contract.js'
import { openStore, type Store, type StoreOptions } from '../src/index.js'
import { SpillwayError } from '../src/index.js'
import { reportOpenFailure } from './core/open-failure.js'
import { decodeMarker, decodeResponse, encodeMarker, encodeResponse, type Marker, type StoredResponse } from './undici/entry-codec.js'
import { checkKey, checkValue } from './undici/input-checks.js'
import { markerKey, newGeneration, requestValue, sameVaryValue, variantKey, type ResourceKey } from './undici/keys.js'

const debug = createDebug('spillway:undici')

/** Where a reported failure happened: this adapter's calls, or the store's own background work. */
export type UndiciStoreOperation = 'open' | 'get' | 'write' | 'delete' | 'close' | 'flush' | 'maintenance'

export interface SpillwayCacheStoreOptions extends Partial<Omit<StoreOptions, 'onError'>> {
  /** A directory to open a store in. Give this or `store`. */
  dir?: string
  /** An open store to use instead (not closed by `close()`). */
  store?: Store
  /**
   * A response whose body passes this many bytes is not stored (the
   * request itself is unharmed), as undici's own stores' `maxEntrySize`.
   * @default 8 MiB
   */
  maxEntrySize?: number
  /**
   * Told of every cache failure: a store that would not open, a read or a
   * write that failed, an entry under one of this adapter's keys that is not
   * one of its entries (a miss), and the store's own background failures.
   * None of them ever reaches undici's request. What the hook throws is
   * ignored.
   * @default none: a store that fails to open is a process warning, other
   * failures are logged with DEBUG=spillway:undici
   */
  onError?: (error: Error, operation: UndiciStoreOperation) => void
}

/** The methods undici's cache may store (its CacheMethods): a delete of a URL removes each. */
const CACHE_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE']
const DEFAULT_MAX_ENTRY_SIZE = 8 * 1024 * 1024
const THING = 'SpillwayCacheStore'

/**
 * undici's `CacheStore` on a spillway store, for
 * `new Agent().compose(interceptors.cache({ store: new SpillwayCacheStore({ dir }) }))`.
 * As undici's own stores, it knows nothing of HTTP: undici's interceptor
 * decides what is stored and what is fresh; this keeps the responses, finds
 * the variant a request selects, and forgets a response at its `deleteAt`.
 *
 * Layout (keys in ./undici/keys.ts, bytes in ./undici/entry-codec.ts):
 * - one marker per (origin, method, path), without expiry: the generation of
 *   the URL's variants and the names of the fields they vary on;
 * - one entry per variant, under the marker's key + generation + the values
 *   of those fields, expiring at the response's `deleteAt`.
 * A hit is two reads, with no read-modify-write of a variant list on the write
 * path. A marker is written only when a generation starts (no marker, or a
 * response that varies on other fields): a delete removes the markers, so
 * every variant from before it is unreachable, and no write that read the
 * old marker can bring it back, in this process or any other. Variants a
 * generation leaves behind are dead bytes until they expire.
 */
export class SpillwayCacheStore implements CacheStore {
  #store: Store | undefined
  /** Settles when the store is open or has failed to; never rejects. */
  #opening: Promise<void>
  #owned: boolean
  /** Whether opening has settled, either way: from then on `get` answers synchronously. */
  #settled = false
  #closed = false
  #maxEntrySize: number
  #now: () => number
  #onError: SpillwayCacheStoreOptions['onError']
  /**
   * Decoded values by the Buffer the store returned: a heap-tier hit returns
   * the tier's own Buffer each time (read-only), so a hot entry's JSON is
   * parsed once, not once a hit. Weak: a decoded value lives only as long as
   * the tier holds its bytes, so maxHeapBytes bounds how many there are.
   * null for bytes that are not a valid value.
   */
  #markers = new WeakMap<Buffer, Marker | null>()
  #responses = new WeakMap<Buffer, StoredResponse | null>()
  /** Resolves when the store is open; rejects with the open error. Awaiting it is optional. */
  readonly ready: Promise<void>

  constructor(options: SpillwayCacheStoreOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${THING} options must be an object`)
    const { store, dir, maxEntrySize = DEFAULT_MAX_ENTRY_SIZE, onError, ...storeOptions } = options
    if (!Number.isSafeInteger(maxEntrySize) || maxEntrySize < 0) {
      throw new TypeError(`${THING} options.maxEntrySize must be a non-negative integer; got ${String(maxEntrySize)}`)
    }
    if (onError !== undefined && typeof onError !== 'function') throw new TypeError(`${THING} options.onError must be a function`)
    // Used by this adapter itself; the other store options are checked when the store opens (`ready` rejects with their TypeError).
    if (storeOptions.now !== undefined && typeof storeOptions.now !== 'function') throw new TypeError(`${THING} options.now must be a function`)
    if ((store === undefined) === (dir === undefined)) throw new TypeError(`${THING} options must give exactly one of dir and store`)
    this.#maxEntrySize = maxEntrySize
    this.#onError = onError
    this.#owned = store === undefined
    if (store !== undefined) {
      this.#store = store
      this.#now = store.options.now
      this.ready = Promise.resolve()
    } else {
      if (typeof dir !== 'string' || dir.length === 0) throw new TypeError(`${THING} options.dir must be a non-empty string`)
      this.#now = storeOptions.now ?? Date.now
      const opened = openStore({ ...storeOptions, dir, onError: (err, operation) => this.#report(err, operation) })
      this.ready = opened.then((s) => {
        if (this.#closed) return s.close()
        this.#store = s
      })
    }
    this.#opening = this.ready.then(() => { this.#settled = true }, (err: unknown) => {
      this.#settled = true
      // Every request passes through from now on: said once, loudly, unless the app listens itself.
      if (onError === undefined) reportOpenFailure(err, dir)
      this.#report(err, 'open')
    })
  }

  /**
   * The response stored for `key`'s URL whose Vary fields match `key.headers`
   * and whose `deleteAt` has not passed, or undefined. Synchronous once the
   * store is open; a promise before.
   */
  get(key: CacheKey): GetResult | Promise<GetResult | undefined> | undefined {
    checkKey(key)
    if (!this.#settled) return this.#opening.then(() => this.#lookup(key))
    return this.#lookup(key)
  }

  #lookup(key: CacheKey): GetResult | undefined {
    const store = this.#store
    if (store === undefined || this.#closed) return undefined
    const base = markerKey(key)
    if (base === undefined) return undefined
    try {
      const markerBytes = store.getSync(base)
      if (markerBytes === undefined) return undefined
      const marker = this.#marker(markerBytes)
      if (marker === undefined) return this.#foreign(base)
      const headers = key.headers as Record<string, unknown> | undefined
      const at = variantKey(base, marker.generation, marker.fields, (field) => requestValue(headers, field))
      const bytes = store.getSync(at)
      if (bytes === undefined) return undefined
      let entry = this.#responses.get(bytes)
      if (entry === undefined) this.#responses.set(bytes, entry = decodeResponse(bytes) ?? null)
      if (entry === null || !sameResource(entry, key)) return this.#foreign(at)
      if (entry.deleteAt <= this.#now() || !varyMatches(entry, headers)) return undefined
      return resultOf(entry)
    } catch (err) {
      this.#report(err, 'get')
      return undefined
    }
  }

  /**
   * A Writable that collects the body and stores the response when it
   * finishes. Destroyed, errored, or past `maxEntrySize`, it stores nothing.
   * Undefined when the store is closed or failed to open.
   */
  createWriteStream(key: CacheKey, value: CacheValue): Writable | undefined {
    checkKey(key)
    checkValue(value)
    if (this.#closed) return undefined
    const chunks: Buffer[] = []
    let bytes = 0
    const max = this.#maxEntrySize
    const save = (): Promise<void> => this.#opening.then(() => this.#save(key, value, chunks, bytes))
    return new Writable({
      write(chunk: Buffer, _encoding, callback) {
        bytes += chunk.byteLength
        if (bytes > max) {
          debug('not stored %s %s%s: body over maxEntrySize (%d bytes)', key.method, key.origin, key.path, max)
          // Destroyed without an error, as undici's own stores do: an error would make undici delete the URL's other entries.
          this.destroy()
        } else chunks.push(chunk)
        callback()
      },
      final(callback) {
        save().then(() => callback(), () => callback())
      },
    })
  }

  async #save(key: CacheKey, value: CacheValue, chunks: Buffer[], bytes: number): Promise<void> {
    const store = this.#store
    if (store === undefined || this.#closed) return
    const base = markerKey(key)
    const ttl = value.deleteAt - this.#now()
    if (base === undefined || !(ttl > 0)) return
    const fields = value.vary === undefined || value.vary === null ? [] : Object.keys(value.vary).sort()
    const writes: Array<Promise<void>> = []
    try {
      // Read and written in one synchronous turn: no other get, write or delete of this process falls between.
      const held = store.getSync(base)
      const marker = held === undefined ? undefined : this.#marker(held)
      const current = marker !== undefined && sameFields(marker.fields, fields) ? marker : undefined
      const generation = current?.generation ?? newGeneration()
      const vary = value.vary ?? undefined
      const at = variantKey(base, generation, fields, (field) => requestValue(vary, field))
      writes.push(store.set(at, encodeResponse(key, value, chunks, bytes), { ttl }))
      if (current === undefined) writes.push(store.set(base, encodeMarker({ generation, fields })))
    } catch (err) {
      this.#reportWrite(err, key)
    }
    for (const write of writes) await write.catch((err: unknown) => this.#reportWrite(err, key))
  }

  /** Forgets every response stored for `key`'s URL (any method, any variant). Never rejects. */
  delete(key: CacheKey): Promise<void> {
    if (key === null || typeof key !== 'object') throw new TypeError(`expected key to be object, got ${key === null ? 'null' : typeof key}`)
    return this.#opening.then(() => this.#forget(key))
  }

  async #forget(key: CacheKey): Promise<void> {
    const store = this.#store
    if (store === undefined || this.#closed) return
    const methods = CACHE_METHODS.includes(key.method) ? CACHE_METHODS : [...CACHE_METHODS, key.method]
    const deletes: Array<Promise<boolean>> = []
    try {
      for (const method of methods) {
        const base = markerKey({ origin: key.origin, method, path: key.path })
        if (base !== undefined) deletes.push(store.delete(base))
      }
    } catch (err) {
      this.#report(err, 'delete')
    }
    for (const deleted of deletes) await deleted.catch((err: unknown) => this.#report(err, 'delete'))
  }

  /** Closes the store it opened (a store given as `options.store` stays open). Later calls miss and store nothing. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#opening
    const store = this.#store
    this.#store = undefined
    if (store !== undefined && this.#owned) await store.close().catch((err: unknown) => this.#report(err, 'close'))
  }

  #marker(bytes: Buffer): Marker | undefined {
    let marker = this.#markers.get(bytes)
    if (marker === undefined) this.#markers.set(bytes, marker = decodeMarker(bytes) ?? null)
    return marker ?? undefined
  }

  /** A value under one of this adapter's keys that is not its entry for the key: a miss, and said. */
  #foreign(at: string): undefined {
    this.#report(new SpillwayError('ERR_VALUE_INVALID', `${THING}: the value under key ${JSON.stringify(at)} is not an undici cache entry for it; treated as a miss`), 'get')
    return undefined
  }

  #reportWrite(err: unknown, key: CacheKey): void {
    const code = (err as { code?: unknown })?.code
    // A response too large for a journal is a size limit, as maxEntrySize is, not a failure.
    if (code === 'ERR_VALUE_TOO_LARGE' || code === 'ERR_KEY_TOO_LARGE') debug('not stored %s %s%s: %s', key.method, key.origin, key.path, code)
    else this.#report(err, 'write')
  }

  #report(err: unknown, operation: UndiciStoreOperation): void {
    const error = err instanceof Error ? err : new Error(String(err))
    debug('%s failed: %s', operation, error.message)
    try {
      this.#onError?.(error, operation)
    } catch {
      // The hook's own failure must not reach undici's request either.
    }
  }
}

function resultOf(entry: StoredResponse): GetResult {
  return {
    statusCode: entry.statusCode,
    statusMessage: entry.statusMessage,
    headers: entry.headers,
    // An array of Buffers, not a Buffer: undici replays a body that has values() item by item (a 304's revalidated entry).
    body: entry.body.byteLength === 0 ? [] : [entry.body],
    vary: entry.vary,
    etag: entry.etag,
    cacheControlDirectives: entry.cacheControlDirectives ?? {},
    cachedAt: entry.cachedAt,
    staleAt: entry.staleAt,
    deleteAt: entry.deleteAt,
  }
}

function sameResource(entry: StoredResponse, key: ResourceKey): boolean {
  return entry.origin === key.origin && entry.method === key.method && entry.path === key.path
}

/** RFC 9111 §4.1: every field the response varies on has, in this request, the value it had in the one that was stored. */
function varyMatches(entry: StoredResponse, headers: Record<string, unknown> | undefined): boolean {
  const vary = entry.vary
  if (vary === undefined) return true
  for (const field in vary) if (!sameVaryValue(requestValue(headers, field), vary[field])) return false
  return true
}

function sameFields(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
