import { EventEmitter } from 'node:events'
import { SpillwayError } from '../errors.js'
import { checkKeyString } from '../input-bytes.js'
import { Store } from '../store/store.js'
import { prepareEntry, writeEntry, type PreparedEntry } from './entry-encoding.js'
import { isFresh, open, payloadOf, staleIfErrorUntil, staleWhileRevalidateUntil, type Envelope } from './envelope.js'
import { isCacheKey, namespaceTag, pathSegment, storedKey, storedTag } from './key-scheme.js'
import { LoadFlights, type WaitPlace } from './load-flights.js'
import {
  checkTag, resolveCallOptions, resolveClientOptions,
  type CacheClientOptions, type CacheErrorOperation, type CacheSetOptions, type ResolvedCallOptions,
} from './options.js'
import { DEFAULT_SERIALIZER, describe, resolveSerializer, type ResolvedSerializer } from './serializers.js'

/** What getOrSet calls on a miss; what it gives (or resolves to) is stored and returned. */
export type Loader<T> = (key: string) => T | Promise<T>

/** One entry of setMany. */
export interface CacheEntry<T> extends CacheSetOptions {
  key: string
  value: T
}

/** Lease names of getOrSet loads: apart from the HTTP middleware's, which share the table. */
const LEASE_PREFIX = 'spillway-client\u0001'
/** Counted in the lease table at every purgeTag and clear, so loads under way in any process do not store what they bring back. */
const PURGES = 'spillway-client\u0002purges'
const MISS: unique symbol = Symbol('miss')
/** Stored keys remembered per view (#storedKeys), forgotten all at once past this. */
const MAX_REMEMBERED_KEYS = 16_384

/** What every view of one cache (the root and its namespaces) shares. */
interface Core {
  store: Store
  owns: boolean
  serializer: ResolvedSerializer<unknown>
  flights: LoadFlights
  events: EventEmitter
  onError: CacheClientOptions<unknown>['onError']
}

/** Set while namespace() constructs a view of an existing core. */
let viewOf: { core: Core; path: string; name: string } | undefined

/**
 * A typed cache over a Store: values of type T go in and come back through
 * a serializer, with cache-aside (getOrSet: one load per key among the
 * processes sharing the directory, stale-while-revalidate, stale-if-error),
 * batches and namespaces. Keys, tags and the stored layout are described in
 * key-scheme.ts and envelope.ts; a Cache reads only what a Cache wrote.
 *
 * Events (`cache.events`), each with the caller's key: 'load' when a loader
 * starts in this process; 'waiting' (key, 'here' | 'elsewhere') when a
 * getOrSet waits for a load in this process or another; 'refresh' when a
 * background refresh starts, and 'refreshed' (key, error?) when it settles.
 */
export class Cache<T = unknown> {
  readonly #core: Core
  /** This view's namespace path (key-scheme.ts), "" at the root. */
  readonly #path: string
  /** The path as the caller named it, for reports: "a/b". */
  readonly #name: string
  /**
   * Stored keys of the keys last used, so a hit on a key string the caller
   * keeps costs no concatenation: a new string is hashed anew at each
   * lookup in the store, and that cost a hit several times what the rest
   * of it did (bench/client.ts). Only checked keys get here.
   */
  readonly #storedKeys = new Map<string, string>()

  /**
   * A cache over an open store that it does not own: close() leaves the
   * store open. openCache() opens a store of its own instead.
   */
  constructor(store: Store, options: CacheClientOptions<T> = {}) {
    const view = viewOf
    viewOf = undefined
    if (view !== undefined) {
      this.#core = view.core
      this.#path = view.path
      this.#name = view.name
      return
    }
    if (!(store instanceof Store)) throw new TypeError(`Cache needs an open Store (openStore()); got ${describe(store)}`)
    const { onError, leaseMs } = resolveClientOptions(options)
    const events = new EventEmitter()
    this.#core = {
      store, owns: false, events, onError,
      serializer: resolveSerializer(options.serializer === undefined ? DEFAULT_SERIALIZER : options.serializer),
      flights: new LoadFlights({ leases: store.leases, leaseMs, onWait: (key: string, place: WaitPlace) => events.emit('waiting', key, place) }),
    }
    this.#path = ''
    this.#name = ''
  }

  /** The store under this cache. */
  get store(): Store {
    return this.#core.store
  }

  /** 'load', 'waiting', 'refresh' and 'refreshed' (see the class comment); shared by every namespace of the cache. */
  get events(): EventEmitter {
    return this.#core.events
  }

  /** The fresh value of `key`, or undefined (a stale one too: only getOrSet serves stale values). */
  async get(key: string): Promise<T | undefined> {
    const found = this.#lookup(key)
    if (found === undefined || !isFresh(found, this.#now())) return undefined
    const value = this.#decode(found, key)
    return value === MISS ? undefined : value
  }

  /** Whether `key` holds a fresh value. */
  async has(key: string): Promise<boolean> {
    const found = this.#lookup(key)
    return found !== undefined && isFresh(found, this.#now())
  }

  /**
   * Stores `value` under `key`. Rejects with ERR_KEY_INVALID, ERR_VALUE_INVALID
   * (undefined, bad options) or ERR_SERIALIZE before anything changes, or with
   * the store's error (ERR_DISK_FULL…), the previous value staying.
   */
  async set(key: string, value: T, options?: CacheSetOptions): Promise<void> {
    const prepared = this.#prepare(key, value, resolveCallOptions('set', options))
    this.#noteWrite(prepared.key)
    await this.#write(prepared)
  }

  /** Deletes `key`; true when it held a value (fresh or stale). */
  async delete(key: string): Promise<boolean> {
    const k = this.#key(key)
    this.#noteWrite(k)
    return this.#core.store.delete(k)
  }

  /**
   * The value of `key`; on a miss, `loader`'s, stored with `options`.
   * Concurrent calls for one key run one loader, in this process and among
   * the processes sharing the directory. Within `staleWhileRevalidate` past
   * the ttl the stale value is returned while one background refresh runs;
   * when the loader throws, a stale value within `staleIfError` is returned,
   * and otherwise every waiting caller rejects with the loader's error.
   * Nothing is stored from a failed load; a loader that gives undefined has
   * undefined returned and nothing stored. A value the serializer cannot
   * encode rejects with ERR_SERIALIZE. A value that cannot be stored (a full
   * disk) is still returned, and reported to onError.
   */
  async getOrSet(key: string, loader: Loader<T>, options?: CacheSetOptions): Promise<T> {
    const k = this.#key(key)
    if (typeof loader !== 'function') throw new SpillwayError('ERR_VALUE_INVALID', `getOrSet loader must be a function; got ${describe(loader)}`)
    const call = resolveCallOptions('getOrSet', options)
    const found = this.#peek(k, key)
    let stale: Envelope | undefined
    if (found !== undefined) {
      const now = this.#now()
      if (isFresh(found, now) || now < staleWhileRevalidateUntil(found)) {
        const value = this.#decode(found, key)
        if (value !== MISS) {
          if (!isFresh(found, now)) this.#refresh(k, key, loader, call)
          return value
        }
      } else if (now < staleIfErrorUntil(found)) stale = found
    }
    try {
      return await this.#core.flights.run(k, LEASE_PREFIX + k, key, () => this.#load(k, key, loader, call), () => this.#recheck(k, key))
    } catch (err) {
      const isLoaderError = !(err instanceof SpillwayError && err.code === 'ERR_SERIALIZE')
      if (isLoaderError && stale !== undefined && this.#now() < staleIfErrorUntil(stale)) {
        const value = this.#decode(stale, key)
        if (value !== MISS) return value
      }
      throw err
    }
  }

  /** The fresh values of `keys`, in order, undefined for each miss. Every key is checked before any is read. */
  async getMany(keys: readonly string[]): Promise<Array<T | undefined>> {
    const stored = this.#keys('getMany', keys)
    const now = this.#now()
    return stored.map((k, i) => {
      const found = this.#peek(k, keys[i])
      if (found === undefined || !isFresh(found, now)) return undefined
      const value = this.#decode(found, keys[i])
      return value === MISS ? undefined : value
    })
  }

  /**
   * Stores every entry. Every key, value and option is checked and encoded
   * before the first is written, so bad input stores nothing; a store
   * failure part way (a full disk) leaves the earlier entries written.
   */
  async setMany(entries: ReadonlyArray<CacheEntry<T>>): Promise<void> {
    if (!Array.isArray(entries)) throw new SpillwayError('ERR_VALUE_INVALID', `setMany takes an array of { key, value } entries; got ${describe(entries)}`)
    const prepared = entries.map((entry, i) => {
      if (entry === null || typeof entry !== 'object') throw new SpillwayError('ERR_VALUE_INVALID', `setMany entry ${i} must be an object with key and value; got ${describe(entry)}`)
      return this.#prepare(entry.key, entry.value, resolveCallOptions(`setMany entry ${i}`, entry))
    })
    for (const p of prepared) {
      this.#noteWrite(p.key)
      await this.#write(p)
    }
  }

  /** Deletes every key; resolves to how many held a value. Every key is checked before any is deleted. */
  async deleteMany(keys: readonly string[]): Promise<number> {
    let deleted = 0
    for (const k of this.#keys('deleteMany', keys)) {
      this.#noteWrite(k)
      if (await this.#core.store.delete(k)) deleted++
    }
    return deleted
  }

  /**
   * A view of this cache whose keys and tags live apart from every other
   * namespace's and from this cache's own (key-scheme.ts). It shares the
   * store, the serializer, the events and close(). Namespaces nest.
   */
  namespace<U = T>(name: string): Cache<U> {
    const segment = pathSegment(name)
    viewOf = { core: this.#core, path: this.#path + segment, name: this.#name === '' ? name : `${this.#name}/${name}` }
    return new Cache<U>(this.#core.store)
  }

  /** Invalidates the entries of this namespace (only) that carry `tag`; resolves to how many there were. */
  async purgeTag(tag: string): Promise<number> {
    checkTag('purgeTag', tag)
    this.#core.store.leases.noteInvalidation(PURGES)
    return this.#core.store.purgeTag(storedTag(this.#path, tag))
  }

  /**
   * Deletes this namespace's entries and its nested namespaces', and no
   * others: one tag purge, O(its entries). At the root, it deletes every
   * entry a Cache wrote (other keys of the store stay), walking the store's keys.
   */
  async clear(): Promise<number> {
    const store = this.#core.store
    store.leases.noteInvalidation(PURGES)
    if (this.#path !== '') return store.purgeTag(namespaceTag(this.#path))
    let deleted = 0
    for await (const k of store.keys()) if (isCacheKey(k) && await store.delete(k)) deleted++
    return deleted
  }

  /** Closes the store if this cache opened it (openCache); a cache over a store it was given leaves it open. */
  async close(): Promise<void> {
    if (this.#core.owns) await this.#core.store.close()
  }

  #now(): number {
    return this.#core.store.options.now()
  }

  /** The stored key of `key`, checked (ERR_KEY_INVALID…). */
  #key(key: unknown): string {
    let k = this.#storedKeys.get(key as string)
    if (k !== undefined) return k
    checkKeyString(key)
    k = storedKey(this.#path, key)
    if (this.#storedKeys.size >= MAX_REMEMBERED_KEYS) this.#storedKeys.clear()
    this.#storedKeys.set(key, k)
    return k
  }

  #keys(call: string, keys: unknown): string[] {
    if (!Array.isArray(keys)) throw new SpillwayError('ERR_KEY_INVALID', `${call} takes an array of keys; got ${describe(keys)}`)
    return keys.map((key) => this.#key(key))
  }

  #lookup(key: string): Envelope | undefined {
    return this.#peek(this.#key(key), key)
  }

  /** The envelope under stored key `k`, undefined when there is none or it is not a Cache's (reported). */
  #peek(k: string, key: string): Envelope | undefined {
    const stored = this.#core.store.getSync(k)
    if (stored === undefined) return undefined
    try {
      return open(stored, this.#core.serializer.id, key)
    } catch (err) {
      this.#report(err, 'decode', key)
      return undefined
    }
  }

  #decode(found: Envelope, key: string): T | typeof MISS {
    try {
      return this.#core.serializer.decode(payloadOf(found)) as T
    } catch (err) {
      this.#report(new SpillwayError('ERR_DESERIALIZE',
        `the value of key ${JSON.stringify(key)} could not be decoded by the ${this.#core.serializer.name} serializer: ${(err as Error)?.message ?? String(err)}`,
        { cause: err }), 'decode', key)
      return MISS
    }
  }

  /** After another process's load: its value, if it stored a fresh one. */
  #recheck(k: string, key: string): { value: T } | undefined {
    const found = this.#peek(k, key)
    if (found === undefined || !isFresh(found, this.#now())) return undefined
    const value = this.#decode(found, key)
    return value === MISS ? undefined : { value }
  }

  async #load(k: string, key: string, loader: Loader<T>, call: ResolvedCallOptions): Promise<T> {
    const leases = this.#core.store.leases
    const leaseName = LEASE_PREFIX + k
    // A set, delete, purge or clear of this key while the loader runs, in any process, wins over what it brings.
    const writes = leases.invalidations(leaseName)
    const purges = leases.invalidations(PURGES)
    this.#core.events.emit('load', key)
    const value = await loader(key)
    if (value === undefined) return value
    const prepared = this.#encode(k, key, value, call)
    if (leases.invalidations(leaseName) === writes && leases.invalidations(PURGES) === purges) {
      try {
        await this.#write(prepared)
      } catch (err) {
        this.#report(err, 'store', key)
      }
    }
    return value
  }

  #refresh(k: string, key: string, loader: Loader<T>, call: ResolvedCallOptions): void {
    const refresh = this.#core.flights.runInBackground(k, LEASE_PREFIX + k, () => this.#load(k, key, loader, call))
    if (refresh === undefined) return
    const events = this.#core.events
    events.emit('refresh', key)
    refresh.then(() => events.emit('refreshed', key), (err: unknown) => {
      this.#report(err, 'refresh', key)
      events.emit('refreshed', key, err)
    })
  }

  #prepare(key: unknown, value: unknown, call: ResolvedCallOptions): PreparedEntry {
    const k = this.#key(key)
    if (value === undefined) throw new SpillwayError('ERR_VALUE_INVALID', `the value of key ${JSON.stringify(key)} is undefined: delete the key instead`)
    return this.#encode(k, key as string, value as T, call)
  }

  #encode(k: string, key: string, value: T, call: ResolvedCallOptions): PreparedEntry {
    return prepareEntry(this.#core.serializer, this.#path, k, key, value, call, this.#now())
  }

  #write(p: PreparedEntry): Promise<void> {
    return writeEntry(this.#core.store, p)
  }

  /** A write by the caller: any load of the key under way must not store over it. */
  #noteWrite(k: string): void {
    this.#core.store.leases.noteInvalidation(LEASE_PREFIX + k)
  }

  #report(err: unknown, operation: CacheErrorOperation, key: string): void {
    const error = err instanceof Error ? err : new Error(String(err))
    try {
      this.#core.onError?.(error, { operation, key, namespace: this.#name })
    } catch {
      // A hook that throws must not turn a served value into a failure.
    }
  }

  /** @internal openCache's: the cache owns its store. */
  static owning<T>(store: Store, options: CacheClientOptions<T>): Cache<T> {
    const cache = new Cache<T>(store, options)
    cache.#core.owns = true
    return cache
  }
}
