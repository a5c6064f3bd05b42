/**
 * A Keyv 5 storage adapter over a spillway store:
 *
 *   new Keyv({ store: new KeyvSpillway({ dir }) })
 *
 * Keyv serializes values itself (to strings) and prefixes keys with its
 * namespace; this file stores those strings as UTF-8 bytes under those keys,
 * and translates the rest of Keyv's store contract (`KeyvStoreAdapter`):
 * TTLs, a namespace-scoped `clear`, batches, iteration, and failures reported
 * through the `error` event. It knows nothing of Keyv at run time (keyv is an
 * optional peer dependency; only its types are imported).
 */
import { EventEmitter } from 'node:events'
import type { KeyvStoreAdapter, StoredData } from 'keyv'
import { SpillwayError } from '../errors.js'
import { resolveStoreOptions, type StoreOptions } from '../store/options.js'
import { Store } from '../store/store.js'

/** The options of `new KeyvSpillway(options)`: a store directory and any other store option (README, "Store options"). */
export type KeyvSpillwayOptions = StoreOptions

/** What the adapter shows Keyv as `store.opts`: the store options, and the two fields Keyv reads to decide on iteration. */
export type KeyvSpillwayOpts = KeyvSpillwayOptions & {
  /**
   * Keyv 5 gives `keyv.iterator()` only to stores whose `opts.dialect` is in
   * its own list of iterable back ends (`iterableAdapters` in keyv's source),
   * and does not consult the store's `iterator` method for any other; the
   * list names database families, not packages. spillway iterates the way
   * etcd does (a prefix scan of a key-value space), so it claims that
   * family. Nothing in keyv 5, cacheable 2 or cache-manager 7 reads
   * `dialect` for anything else.
   */
  dialect: string
  /** Keyv reads `opts.url` as a string when the dialect is not in its list; a spillway URL, for the record. */
  url: string
}

/** Keyv's name for the family of stores spillway's iteration resembles; see KeyvSpillwayOpts.dialect. */
const ITERABLE_DIALECT = 'etcd'

/** Carried by every entry the adapter writes: `clear()` without a namespace purges it. */
const ADAPTER_TAG = 'keyv'
/** Carried by every entry written in a namespace, after this prefix: `clear()` purges only its own. */
const NAMESPACE_TAG_PREFIX = 'keyv-namespace:'

/**
 * A Keyv store backed by a spillway directory: entries survive restarts and
 * are shared by every process that opens the directory (README, "Cluster").
 *
 * The store opens in the background; calls made before it is open wait for
 * it. Writes (`set`, `delete`, `clear` and their batches) reject on failure,
 * which Keyv turns into its `error` event. Reads (`get`, `has` and their
 * batches) answer a miss on failure and emit `error` themselves, because
 * Keyv passes their rejections to the caller. A store that fails to open
 * emits `error` at once, and every later call fails with the same error in
 * the same two ways.
 * Values must be strings, as Keyv's default serialization gives: anything
 * else is refused with ERR_VALUE_INVALID, and nothing stored changes.
 */
export class KeyvSpillway extends EventEmitter implements KeyvStoreAdapter {
  /** The store options and the fields Keyv reads; see KeyvSpillwayOpts. */
  readonly opts: KeyvSpillwayOpts
  /** Set by Keyv: the namespace whose keys `clear()` and `iterator()` cover. @default undefined, every key the adapter stored */
  namespace: string | undefined
  #store: Store | undefined
  #opening: Promise<Store>
  /** The tags of a write, by namespace: built once per namespace, not once per write. */
  #tagsByNamespace = new Map<string | undefined, string[]>()

  /**
   * Checks the options at once (a TypeError naming the bad option) and opens
   * the store in the background. Opening failures (a `dir` that is a file,
   * ERR_NOT_A_DIRECTORY; a directory another process holds with other
   * settings, ERR_OPTIONS_CONFLICT; …) are SpillwayErrors, emitted as `error`.
   */
  constructor(options: KeyvSpillwayOptions) {
    super()
    resolveStoreOptions(options)
    this.opts = { ...options, dialect: ITERABLE_DIALECT, url: `spillway://${options.dir}` }
    this.#opening = Store.open(options)
    this.#opening.then((store) => { this.#store = store }, (err: unknown) => this.#report(err))
  }

  /** Resolves once the store is open; rejects with the reason it could not open. */
  ready(): Promise<void> {
    return this.#opening.then(() => undefined)
  }

  /** The open store, for its stats(), flush() or purgeTag(); rejects as ready() does. */
  opened(): Promise<Store> {
    return this.#opening
  }

  /** The serialized value stored under `key` (a string: Keyv's `Value` type parameter is only its view of it), or undefined. */
  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    try {
      const store = this.#store ?? await this.#opening
      return store.getSync(key)?.toString('utf8') as Value | undefined
    } catch (err) {
      this.#report(err)
      return undefined
    }
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    try {
      const store = this.#store ?? await this.#opening
      return keys.map((key) => store.getSync(key)?.toString('utf8') as Value | undefined)
    } catch (err) {
      this.#report(err)
      return keys.map(() => undefined)
    }
  }

  /** Stores `value` (Keyv's serialized string); `ttl` in milliseconds, after which the store drops the entry itself. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const store = this.#store ?? await this.#opening
    await store.set(key, checkedValue(value), { ttl: ttlOf(ttl), tags: this.#tags() })
    return true
  }

  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<void> {
    const store = this.#store ?? await this.#opening
    const tags = this.#tags()
    // Every value is checked before any is written: a batch with a bad value changes nothing.
    const values = entries.map((entry) => checkedValue(entry.value))
    for (let i = 0; i < entries.length; i++) await store.set(entries[i].key, values[i], { ttl: ttlOf(entries[i].ttl), tags })
  }

  /** True when `key` held a value. */
  async delete(key: string): Promise<boolean> {
    const store = this.#store ?? await this.#opening
    return store.delete(key)
  }

  /** True when any of `keys` held a value. */
  async deleteMany(keys: string[]): Promise<boolean> {
    const store = this.#store ?? await this.#opening
    let deleted = false
    for (const key of keys) if (await store.delete(key)) deleted = true
    return deleted
  }

  /**
   * Removes every entry written in the current namespace, or, with no
   * namespace, every entry the adapter wrote to the directory. A purge
   * record, so it survives a restart and reaches the other processes.
   */
  async clear(): Promise<void> {
    const store = this.#store ?? await this.#opening
    await store.purgeTag(this.namespace === undefined ? ADAPTER_TAG : NAMESPACE_TAG_PREFIX + this.namespace)
  }

  async has(key: string): Promise<boolean> {
    try {
      const store = this.#store ?? await this.#opening
      return store.has(key)
    } catch (err) {
      this.#report(err)
      return false
    }
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    try {
      const store = this.#store ?? await this.#opening
      return keys.map((key) => store.has(key))
    } catch (err) {
      this.#report(err)
      return keys.map(() => false)
    }
  }

  /**
   * Every `[key, serialized value]` whose key is in `namespace` (Keyv's
   * `namespace:` prefix), or every entry of the directory without one. The
   * store's keys() decides which keys are yielded while entries change.
   */
  async *iterator(namespace?: string): AsyncGenerator<[string, string], void> {
    const store = this.#store ?? await this.#opening
    const prefix = namespace === undefined ? '' : `${namespace}:`
    for await (const key of store.keys()) {
      if (!key.startsWith(prefix)) continue
      const value = store.getSync(key)
      if (value !== undefined) yield [key, value.toString('utf8')]
    }
  }

  /** Closes the store (flushing it, unless durability is 'none'); later calls fail with ERR_STORE_CLOSED. */
  async disconnect(): Promise<void> {
    let store: Store
    try {
      store = await this.#opening
    } catch {
      return
    }
    await store.close()
  }

  #tags(): string[] {
    const namespace = this.namespace
    let tags = this.#tagsByNamespace.get(namespace)
    if (tags === undefined) {
      tags = namespace === undefined ? [ADAPTER_TAG] : [ADAPTER_TAG, NAMESPACE_TAG_PREFIX + namespace]
      this.#tagsByNamespace.set(namespace, tags)
    }
    return tags
  }

  /** An `error` event only for a listener: EventEmitter throws an unheard `error`, and a cache failure must not crash. */
  #report(err: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }
}

function checkedValue(value: unknown): string {
  if (typeof value === 'string') return value
  throw new SpillwayError('ERR_VALUE_INVALID',
    `KeyvSpillway stores Keyv's serialized strings; got ${value === null ? 'null' : typeof value} (keep Keyv's serialize option)`)
}

/** Keyv passes no TTL as undefined (its own 0 already is); anything else goes to the store, which refuses what is not a positive number. */
function ttlOf(ttl: unknown): number | undefined {
  return (ttl ?? undefined) as number | undefined
}
