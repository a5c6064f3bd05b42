import { LRUCache } from 'lru-cache'

/** A decoded value held in the heap tier, with what the tier needs to know about it. */
export interface HeapEntry {
  value: Buffer
  /** Milliseconds since the epoch; 0 never expires. */
  expiresAt: number
  /** Held only here: the doorkeeper has not yet let the key reach disk. */
  heapOnly: boolean
  /** Read since it entered the tier (or since the disk tier last asked): what makes an entry hot. */
  read: boolean
}

/** What an entry costs beyond its value: the key, the entry object and the LRU's own node. */
const ENTRY_OVERHEAD_BYTES = 96

/**
 * The in-heap tier: an LRU bounded in bytes (lru-cache with maxSize), holding
 * decoded values so a hot read costs no disk access and no decoding. TTLs are
 * checked here against the store's clock rather than lru-cache's own, so one
 * injected clock governs both tiers.
 */
export class HeapTier {
  #lru: LRUCache<string, HeapEntry> | undefined
  readonly maxBytes: number

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes
    // lru-cache needs a positive size; 0 turns the tier off (every read goes to disk).
    this.#lru = maxBytes > 0
      ? new LRUCache<string, HeapEntry>({ maxSize: maxBytes, sizeCalculation: (entry, key) => entrySize(key, entry.value) })
      : undefined
  }

  /**
   * The live entry for `key`, or undefined; an expired one is dropped on the
   * way. The clock is asked only about entries that can expire: most hits
   * never pay for it.
   */
  get(key: string, clock: () => number): HeapEntry | undefined {
    const entry = this.#lru?.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== 0 && entry.expiresAt <= clock()) {
      this.#lru!.delete(key)
      return undefined
    }
    entry.read = true
    return entry
  }

  /** Looks without counting as a use. */
  peek(key: string): HeapEntry | undefined {
    return this.#lru?.peek(key)
  }

  /** Stores the entry unless it alone would exceed the tier. */
  set(key: string, value: Buffer, expiresAt: number, heapOnly: boolean): void {
    if (this.#lru === undefined || entrySize(key, value) > this.maxBytes) {
      this.#lru?.delete(key)
      return
    }
    this.#lru.set(key, { value, expiresAt, heapOnly, read: false })
  }

  /** Whether the entry was read since it entered the tier or since the last call; clears the mark. */
  takeReadMark(key: string): boolean {
    const entry = this.#lru?.peek(key)
    if (entry === undefined || !entry.read) return false
    entry.read = false
    return true
  }

  delete(key: string): boolean {
    return this.#lru?.delete(key) ?? false
  }

  get entries(): number {
    return this.#lru?.size ?? 0
  }

  get bytes(): number {
    return this.#lru?.calculatedSize ?? 0
  }

  *keys(): IterableIterator<string> {
    if (this.#lru !== undefined) yield* this.#lru.keys()
  }

  clear(): void {
    this.#lru?.clear()
  }
}

function entrySize(key: string, value: Buffer): number {
  return value.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES
}
