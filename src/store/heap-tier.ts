import { ValueSlabs, type Slab, type SlabResident } from './value-slabs.js'

const EMPTY = Buffer.alloc(0)

/** A decoded value held in the heap tier, with what the tier needs to know about it. */
export class HeapEntry implements SlabResident {
  readonly key: string
  /** The tier's copy (value-slabs.ts). */
  value: Buffer = EMPTY
  slab: Slab | undefined = undefined
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

  constructor(key: string, expiresAt: number, heapOnly: boolean, size: number) {
    this.key = key
    this.expiresAt = expiresAt
    this.heapOnly = heapOnly
    this.size = size
  }
}

/** What an entry costs beyond its value: the key, the entry object and its slot in the index. */
const ENTRY_OVERHEAD_BYTES = 112
/** Lookups between two judgements of whether the tier pays for itself. */
const JUDGE_EVERY = 8192
/** While the tier is bypassed, one read in this many still looks in it: the measurement goes on, and the tier follows the workload. */
const BYPASS_SAMPLE = 32
/**
 * Below this hit ratio a full tier costs reads more than it saves them: each
 * miss pays a lookup and, on a key's second read, an eviction and an insert,
 * and each hit saves about one disk read. bench/heap-admission measured the
 * break-even near one hit in three lookups for 100 B values (a 1 MiB tier on
 * a uniform workload, 1 % hits: 0.63× no tier; on Zipf 0.99, 57 %: 1.39×).
 */
const PAYS_FROM_HIT_RATIO = 0.25
/** A tier holding this share of its bytes is full: the next value it takes evicts. */
const FULL_SHARE = 0.9

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
 *
 * A full tier that hits too rarely to pay for its lookups and replacements
 * (a working set far larger than the tier, read uniformly) is bypassed: see
 * `bypass`. That is safe because, but for heap-only entries, every value
 * here is also the disk tier's current value for its key, with the same
 * expiry; while there are heap-only entries the tier is never bypassed.
 */
export class HeapTier {
  readonly maxBytes: number
  #index = new Map<string, HeapEntry>()
  #bytes = 0
  #newest: HeapEntry | undefined = undefined
  #oldest: HeapEntry | undefined = undefined
  /** The next eviction candidate; undefined starts from the oldest entry. */
  #hand: HeapEntry | undefined = undefined
  #slabs = new ValueSlabs()
  #heapOnlyEntries = 0
  /** This judgement window's lookups and hits. */
  #lookups = 0
  #hits = 0
  #bypassed = false
  #skipped = 0

  /** 0 turns the tier off: every read goes to disk. */
  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
    // A tier that is off holds nothing: no read need look.
    this.#bypassed = maxBytes === 0
  }

  /**
   * The live entry for `key`, or undefined; an expired one is dropped on the
   * way. The clock is asked only about entries that can expire: most hits
   * never pay for it.
   */
  get(key: string, clock: () => number): HeapEntry | undefined {
    if (++this.#lookups === JUDGE_EVERY) this.#judge()
    const entry = this.#index.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== 0 && entry.expiresAt <= clock()) {
      this.#remove(entry)
      return undefined
    }
    entry.visited = true
    entry.read = true
    this.#hits++
    return entry
  }

  /**
   * Whether this read should skip the tier and go to the disk tier, which
   * holds the same value. True for 31 reads in 32 while the tier is full
   * and hit fewer than a quarter of its lookups in the last window (misses
   * included: a lookup that never hits is pure cost); a read that skips it
   * must not offer it the value either.
   */
  bypass(): boolean {
    if (!this.#bypassed) return false
    if (this.maxBytes === 0) return true
    if (++this.#skipped < BYPASS_SAMPLE) return true
    this.#skipped = 0
    return false
  }

  /** Whether reads are bypassing the tier now (see `bypass`). */
  get bypassed(): boolean {
    return this.#bypassed
  }

  /** Looks without counting as a use. */
  peek(key: string): HeapEntry | undefined {
    return this.#index.get(key)
  }

  /**
   * Stores a copy of `value` as the newest entry (replacing any for `key`)
   * unless it alone would exceed the tier. Returns the copy, or undefined
   * when it was not kept.
   */
  set(key: string, value: Uint8Array, expiresAt: number, heapOnly: boolean): Buffer | undefined {
    const old = this.#index.get(key)
    if (old !== undefined) this.#remove(old)
    const size = value.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES
    if (size > this.maxBytes) return undefined
    // Room is made before the entry goes in, so the hand never picks the entry being added.
    this.#evictBeyond(this.maxBytes - size)
    const entry = new HeapEntry(key, expiresAt, heapOnly, size)
    this.#slabs.place(entry, value)
    entry.older = this.#newest
    if (this.#newest !== undefined) this.#newest.newer = entry
    else this.#oldest = entry
    this.#newest = entry
    this.#index.set(key, entry)
    this.#bytes += size
    if (heapOnly) {
      this.#heapOnlyEntries++
      this.#bypassed = false
    }
    return entry.value
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
    this.#slabs.clear()
    this.#bytes = 0
    this.#heapOnlyEntries = 0
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

  /**
   * Whether the last window's hits paid for the tier decides whether reads
   * bypass it, once it is full: while it fills, a value it takes costs no
   * eviction, and a tier sized for the whole working set is not judged on
   * the misses that fill it.
   */
  #judge(): void {
    this.#bypassed = this.#bytes >= this.maxBytes * FULL_SHARE && this.#heapOnlyEntries === 0 && this.#hits < this.#lookups * PAYS_FROM_HIT_RATIO
    this.#lookups = this.#hits = 0
  }

  #remove(entry: HeapEntry): void {
    if (this.#hand === entry) this.#hand = entry.newer
    if (entry.newer !== undefined) entry.newer.older = entry.older
    else this.#newest = entry.older
    if (entry.older !== undefined) entry.older.newer = entry.newer
    else this.#oldest = entry.newer
    entry.newer = entry.older = undefined
    this.#index.delete(entry.key)
    this.#slabs.release(entry)
    this.#bytes -= entry.size
    if (entry.heapOnly) this.#heapOnlyEntries--
  }
}
