/** A decoded value held in the heap tier, with what the tier needs to know about it. */
export class HeapEntry {
  readonly key: string
  value: Buffer
  /** Milliseconds since the epoch; 0 never expires. */
  expiresAt: number
  /** Held only here: the doorkeeper has not yet let the key reach disk. */
  heapOnly: boolean
  /** Read since it entered the tier (or since the disk tier last asked): what makes an entry hot. */
  read = false
  /** SIEVE's bit: read since the eviction hand last passed. */
  visited = false
  size: number
  /** Neighbours in insertion order; the newest entry has no `newer`. */
  newer: HeapEntry | undefined = undefined
  older: HeapEntry | undefined = undefined

  constructor(key: string, value: Buffer, expiresAt: number, heapOnly: boolean, size: number) {
    this.key = key
    this.value = value
    this.expiresAt = expiresAt
    this.heapOnly = heapOnly
    this.size = size
  }
}

/** What an entry costs beyond its value: the key, the entry object and its slot in the index. */
const ENTRY_OVERHEAD_BYTES = 112

/**
 * The in-heap tier: decoded values bounded in bytes, so a hot read costs no
 * disk access and no decoding. Eviction is SIEVE (Zhang et al., NSDI 2024)
 * rather than LRU: a hit only sets a bit on its entry, where an LRU moves the
 * entry to the front of a list, touching its neighbours, on every read. The
 * hand walks from the oldest entry towards the newest, clearing bits and
 * evicting the first entry not read since it last passed. The paper reports
 * fewer misses than LRU on most of the web cache traces it studied; here it
 * matters as much that a hot read is a Map lookup and a store.
 * TTLs are checked here against the store's clock, so one injected clock
 * governs both tiers.
 */
export class HeapTier {
  readonly maxBytes: number
  #index = new Map<string, HeapEntry>()
  #bytes = 0
  #newest: HeapEntry | undefined = undefined
  #oldest: HeapEntry | undefined = undefined
  /** The next eviction candidate; undefined starts from the oldest entry. */
  #hand: HeapEntry | undefined = undefined

  /** 0 turns the tier off: every read goes to disk. */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
  }

  /**
   * The live entry for `key`, or undefined; an expired one is dropped on the
   * way. The clock is asked only about entries that can expire: most hits
   * never pay for it.
   */
  get(key: string, clock: () => number): HeapEntry | undefined {
    const entry = this.#index.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== 0 && entry.expiresAt <= clock()) {
      this.#remove(entry)
      return undefined
    }
    entry.visited = true
    entry.read = true
    return entry
  }

  /** Looks without counting as a use. */
  peek(key: string): HeapEntry | undefined {
    return this.#index.get(key)
  }

  /** Stores the entry as the newest (replacing any for `key`) unless it alone would exceed the tier. */
  set(key: string, value: Buffer, expiresAt: number, heapOnly: boolean): void {
    const old = this.#index.get(key)
    if (old !== undefined) this.#remove(old)
    const size = value.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES
    if (size > this.maxBytes) return
    // Room is made before the entry goes in, so the hand never picks the entry being added.
    this.#evictBeyond(this.maxBytes - size)
    const entry = new HeapEntry(key, value, expiresAt, heapOnly, size)
    entry.older = this.#newest
    if (this.#newest !== undefined) this.#newest.newer = entry
    else this.#oldest = entry
    this.#newest = entry
    this.#index.set(key, entry)
    this.#bytes += size
  }

  /** Whether the entry was read since it entered the tier or since the last call; clears the mark. */
  takeReadMark(key: string): boolean {
    const entry = this.#index.get(key)
    if (entry === undefined || !entry.read) return false
    entry.read = false
    return true
  }

  delete(key: string): boolean {
    const entry = this.#index.get(key)
    if (entry === undefined) return false
    this.#remove(entry)
    return true
  }

  get entries(): number {
    return this.#index.size
  }

  get bytes(): number {
    return this.#bytes
  }

  keys(): IterableIterator<string> {
    return this.#index.keys()
  }

  clear(): void {
    this.#index.clear()
    this.#bytes = 0
    this.#newest = this.#oldest = this.#hand = undefined
  }

  /** Evicts until at most `limit` bytes are held. */
  #evictBeyond(limit: number): void {
    while (this.#bytes > limit) {
      let victim = this.#hand ?? this.#oldest!
      while (victim.visited) {
        victim.visited = false
        victim = victim.newer ?? this.#oldest!
      }
      // The hand stays where it stopped: #remove moves it on to the next newer entry.
      this.#hand = victim
      this.#remove(victim)
    }
  }

  #remove(entry: HeapEntry): void {
    if (this.#hand === entry) this.#hand = entry.newer
    if (entry.newer !== undefined) entry.newer.older = entry.older
    else this.#newest = entry.older
    if (entry.older !== undefined) entry.older.newer = entry.newer
    else this.#oldest = entry.newer
    entry.newer = entry.older = undefined
    this.#index.delete(entry.key)
    this.#bytes -= entry.size
  }
}
