/**
 * The keydir: the store's in-heap index from a key's 32-bit hash to where its
 * latest record lives on disk. It is an open-addressing hash table held in
 * five parallel Uint32Arrays (20 bytes a slot, no object per key), so a
 * million keys cost the garbage collector nothing to trace.
 *
 * Full keys are not kept: the caller checks the key of the record on disk.
 * So one hash may have several entries (a real collision), and `find` plus
 * `findNext` walk all of them.
 *
 * Layout: linear probing in Robin Hood order. Every run of full slots holds
 * its entries sorted by home slot, ties broken by hash. Range reduction is
 * `floor(hash × capacity / 2³²)`, which is monotone in the hash, so in effect
 * the table is sorted by hash (with the last run allowed to wrap round to
 * slot 0). Why this scheme and not plain linear probing:
 * - a miss stops at the first entry that sorts after the hash, instead of
 *   running to the next empty slot: at 0.85 load about 4 slots instead
 *   of about 23, and misses are common in a cache (every set of a new key
 *   looks it up first);
 * - entries with one hash are adjacent, so `findNext` looks at one slot;
 * - deletion is a backward shift (no tombstones, so probes never lengthen
 *   with churn).
 * The price is that an insert shifts the rest of its run one slot forward.
 *
 * Capacity is any integer, not a power of two, and grows by GROWTH_FACTOR:
 * see there for why it is 1.3 and not the usual 1.5 or 2.
 */
import { checkInteger } from './option-checks.js'

export interface KeydirOptions {
  /**
   * Slots to start with. The table grows on its own; set this near
   * `expectedKeys / maxLoad` to skip the rehashes on the way there.
   * @default 1024
   */
  initialCapacity?: number
  /**
   * The fraction of slots that may be full before the table grows, from 0.5
   * to 0.95. Higher saves memory and lengthens probes.
   * @default 0.85
   */
  maxLoad?: number
}

/** A slot whose journalId is 0 is empty: journal ids start at 1. */
const EMPTY = 0
/** Records are 8-byte aligned, so bit 0 of an offset is free to say "read since written". */
const HIT_BIT = 1
/**
 * Growing by g at load L leaves the table at load L/g. At the default 0.85,
 * 1.5× would fall to 0.57 (35 bytes a key), over the budget of 32 bytes a
 * key; 1.3× falls to 0.65 (31 bytes a key), so the budget holds at every
 * size, not just at lucky ones. Growing more often costs little: each rehash
 * is one pass in near-sequential order, because the table is sorted by hash.
 */
const GROWTH_FACTOR = 1.3
/** 20 bytes a slot: 21 GiB of typed arrays. Also keeps slot arithmetic in small integers. */
const MAX_CAPACITY = 2 ** 30
const SLOT_BYTES = 5 * Uint32Array.BYTES_PER_ELEMENT
const LARGEST_U32 = 0xffff_ffff

/** Where `hash` would sit in an empty table. `scale` is capacity / 2³², so the product is exact enough: monotone and below capacity. */
function homeSlot(hash: number, scale: number): number {
  return Math.floor(hash * scale)
}

/**
 * The expiry hint: whole seconds, rounded up so that it never says "expired"
 * before the record does. 0, NaN and Infinity mean never, as they do for a
 * record; a time past 2106 (beyond u32 seconds) is also stored as never, which
 * is the safe side for a hint. A time before the epoch becomes 1 s: expired.
 */
export function expirySeconds(expiresAtMs: number): number {
  if (expiresAtMs === 0 || expiresAtMs !== expiresAtMs) return 0
  if (expiresAtMs < 0) return 1
  // Division is correctly rounded and 1000 < 2¹⁰, so a quotient just above
  // a whole number never rounds down onto it: ceil never loses a fraction.
  const seconds = Math.ceil(expiresAtMs / 1000)
  return seconds > LARGEST_U32 ? 0 : seconds
}

function checkLocation(journalId: number, offset: number, length: number): void {
  if (journalId >>> 0 !== journalId || journalId === EMPTY) {
    throw new TypeError(`Keydir journalId must be an integer from 1 to ${LARGEST_U32}; got ${String(journalId)}`)
  }
  if (offset >>> 0 !== offset || (offset & 7) !== 0) {
    throw new TypeError(`Keydir offset must be a multiple of 8 from 0 to ${LARGEST_U32 - 7}; got ${String(offset)}`)
  }
  if (length >>> 0 !== length) {
    throw new TypeError(`Keydir length must be an integer from 0 to ${LARGEST_U32}; got ${String(length)}`)
  }
}

function checkMaxLoad(value: unknown): number {
  if (typeof value !== 'number' || !(value >= 0.5 && value <= 0.95)) {
    throw new TypeError(`Keydir options.maxLoad must be a number from 0.5 to 0.95; got ${typeof value === 'number' ? String(value) : typeof value}`)
  }
  return value
}

/** The in-heap index from key hash to record location: see the top of this file. */
export class Keydir {
  readonly #maxLoad: number
  #hashes!: Uint32Array
  #journalIds!: Uint32Array
  /** Record offset with the hit flag in bit 0. */
  #offsets!: Uint32Array
  #lengths!: Uint32Array
  /** Expiry hint in whole seconds since the epoch, 0 for never. */
  #expiries!: Uint32Array
  #capacity = 0
  /** capacity / 2³²: multiplying a hash by it is the range reduction. */
  #scale = 0
  /** Grow before the insert that would pass this many entries. */
  #growAt = 0
  #size = 0
  /**
   * insertAscending's run: the entries it placed (-1 once anything else
   * changed the table), the slot after the last and its hash.
   */
  #ascendingCount = 0
  #ascendingNext = 0
  #ascendingHash = 0

  constructor(options: KeydirOptions = {}) {
    const initialCapacity = checkInteger('Keydir', 'initialCapacity', options.initialCapacity ?? 1024, 1, MAX_CAPACITY)
    this.#maxLoad = checkMaxLoad(options.maxLoad ?? 0.85)
    this.#allocate(initialCapacity)
  }

  /** Live entries. */
  get size(): number {
    return this.#size
  }

  /** Slots, full or empty. */
  get capacity(): number {
    return this.#capacity
  }

  /** Bytes held by the typed arrays: 20 per slot. */
  get byteSize(): number {
    return this.#capacity * SLOT_BYTES
  }

  /** First slot holding `hash`, or -1. Then findNext(hash, slot) for the next one with the same hash, or -1. */
  find(hash: number): number {
    hash >>>= 0
    const hashes = this.#hashes
    const journalIds = this.#journalIds
    const capacity = this.#capacity
    const scale = this.#scale
    let slot = homeSlot(hash, scale)
    for (let distance = 0; ; distance++) {
      if (journalIds[slot] === EMPTY) return -1
      const resident = hashes[slot]
      if (resident === hash) return slot
      let residentDistance = slot - homeSlot(resident, scale)
      if (residentDistance < 0) residentDistance += capacity
      // The resident sorts after `hash` (a later home, or the same home and a
      // bigger hash): in Robin Hood order, `hash` would have come before it.
      if (residentDistance < distance || (residentDistance === distance && resident > hash)) return -1
      if (++slot === capacity) slot = 0
    }
  }

  /** The slot after `slot` if it holds `hash` too (entries with one hash are adjacent), or -1. */
  findNext(hash: number, slot: number): number {
    let next = slot + 1
    if (next === this.#capacity) next = 0
    return this.#journalIds[next] !== EMPTY && this.#hashes[next] === hash >>> 0 ? next : -1
  }

  /**
   * How many slots `find(hash)` looks at, the last one included. For
   * benchmarks and tests of the probing scheme: it is not on any hot path.
   */
  probeLength(hash: number): number {
    hash >>>= 0
    let slot = homeSlot(hash, this.#scale)
    for (let distance = 0; ; distance++) {
      if (this.#journalIds[slot] === EMPTY) return distance + 1
      const resident = this.#hashes[slot]
      if (resident === hash) return distance + 1
      let residentDistance = slot - homeSlot(resident, this.#scale)
      if (residentDistance < 0) residentDistance += this.#capacity
      if (residentDistance < distance || (residentDistance === distance && resident > hash)) return distance + 1
      if (++slot === this.#capacity) slot = 0
    }
  }

  /**
   * Adds an entry (the caller has checked the key is not present) and returns
   * its slot. Grows when needed. `hash` is taken as an unsigned 32-bit
   * integer, as `hashKey` returns it. Throws a TypeError for a journalId of 0,
   * an offset that is not 8-aligned, or a value that is not a u32.
   */
  insert(hash: number, journalId: number, offset: number, length: number, expiresAtMs: number): number {
    checkLocation(journalId, offset, length)
    if (this.#size >= this.#growAt) this.#grow()
    this.#size++
    this.#ascendingCount = -1
    return this.#place(hash >>> 0, journalId, offset, length, expirySeconds(expiresAtMs))
  }

  /**
   * insert, for entries that come in ascending hash order into a table that
   * held none before the first of them (a rebuild, after reserve): each
   * goes at its home or just after the one before, which is where Robin Hood
   * order puts it, with no probing and no shifting. An entry that breaks
   * those terms (a hash below the last one's, a table that held others or
   * changed since, the end of the table reached) goes in by insert, so the
   * table is right whatever the caller does. `expiry` is the hint in whole
   * seconds, as expirySeconds gives it.
   */
  insertAscending(hash: number, journalId: number, offset: number, length: number, expiry: number): number {
    hash >>>= 0
    const slot = Math.max(homeSlot(hash, this.#scale), this.#ascendingNext)
    if (this.#ascendingCount !== this.#size || hash < this.#ascendingHash || slot >= this.#capacity || this.#size >= this.#growAt) {
      return this.insert(hash, journalId, offset, length, expiry * 1000)
    }
    checkLocation(journalId, offset, length)
    this.#hashes[slot] = hash
    this.#journalIds[slot] = journalId
    this.#offsets[slot] = offset
    this.#lengths[slot] = length
    this.#expiries[slot] = expiry
    this.#ascendingNext = slot + 1
    this.#ascendingHash = hash
    this.#ascendingCount = ++this.#size
    return slot
  }

  /** Points an existing slot at a new record; clears its hit bit. */
  update(slot: number, journalId: number, offset: number, length: number, expiresAtMs: number): void {
    this.#checkLive(slot)
    checkLocation(journalId, offset, length)
    this.#journalIds[slot] = journalId
    this.#offsets[slot] = offset
    this.#lengths[slot] = length
    this.#expiries[slot] = expirySeconds(expiresAtMs)
  }

  /**
   * Removes the entry in `slot`. Other entries may move (backward shift):
   * slot numbers are only valid until the next insert/remove.
   */
  remove(slot: number): void {
    this.#checkLive(slot)
    const hashes = this.#hashes
    const journalIds = this.#journalIds
    const offsets = this.#offsets
    const lengths = this.#lengths
    const expiries = this.#expiries
    const capacity = this.#capacity
    const scale = this.#scale
    let hole = slot
    for (;;) {
      let next = hole + 1
      if (next === capacity) next = 0
      // Stop at the end of the run, or at an entry already at home: nothing
      // after it was displaced past the hole.
      if (journalIds[next] === EMPTY || homeSlot(hashes[next], scale) === next) break
      hashes[hole] = hashes[next]
      journalIds[hole] = journalIds[next]
      offsets[hole] = offsets[next]
      lengths[hole] = lengths[next]
      expiries[hole] = expiries[next]
      hole = next
    }
    journalIds[hole] = EMPTY
    this.#size--
    this.#ascendingCount = -1
  }

  /** The hash the entry was inserted with. */
  hash(slot: number): number {
    return this.#hashes[slot]
  }

  /** The journal that holds the record. */
  journalId(slot: number): number {
    return this.#journalIds[slot]
  }

  /** The record's offset in its journal (without the hit flag). */
  offset(slot: number): number {
    return (this.#offsets[slot] & ~HIT_BIT) >>> 0
  }

  /** The record's length in bytes. */
  length(slot: number): number {
    return this.#lengths[slot]
  }

  /** The expiry hint in ms (a whole second, rounded up), 0 for never. */
  expiresAt(slot: number): number {
    return this.#expiries[slot] * 1000
  }

  /** Whether the entry was read (markHit) since it was inserted or last updated. */
  wasHit(slot: number): boolean {
    return (this.#offsets[slot] & HIT_BIT) !== 0
  }

  /** Notes that the entry was read; update() clears it. */
  markHit(slot: number): void {
    this.#checkLive(slot)
    this.#offsets[slot] |= HIT_BIT
  }

  /** Calls visit(slot) for every live slot. visit may not insert or remove. */
  forEach(visit: (slot: number) => void): void {
    const journalIds = this.#journalIds
    for (let slot = 0; slot < this.#capacity; slot++) {
      if (journalIds[slot] !== EMPTY) visit(slot)
    }
  }

  /**
   * Makes room for `entries` in all, so that inserting up to that many costs
   * one rehash now instead of one at every growth on the way: a bulk load
   * (rebuilding the index at open) that knows how much is coming. Never
   * shrinks.
   */
  reserve(entries: number): void {
    const capacity = Math.min(MAX_CAPACITY, Math.ceil(entries / this.#maxLoad) + 1)
    if (capacity > this.#capacity) this.#rehash(capacity)
  }

  /** Empties the table and keeps its capacity, so refilling it does not rehash. */
  clear(): void {
    this.#journalIds.fill(EMPTY)
    this.#size = 0
    this.#startAscending()
  }

  /** Writes an entry at its Robin Hood place, shifting the rest of the run forward. The caller counts it in size. */
  #place(hash: number, journalId: number, offsetWord: number, length: number, expiry: number): number {
    const hashes = this.#hashes
    const journalIds = this.#journalIds
    const offsets = this.#offsets
    const lengths = this.#lengths
    const expiries = this.#expiries
    const capacity = this.#capacity
    const scale = this.#scale
    let slot = homeSlot(hash, scale)
    // Same walk as find, except that equal hashes go on: a new entry goes
    // after the others with its hash.
    for (let distance = 0; journalIds[slot] !== EMPTY; distance++) {
      const resident = hashes[slot]
      let residentDistance = slot - homeSlot(resident, scale)
      if (residentDistance < 0) residentDistance += capacity
      if (residentDistance < distance || (residentDistance === distance && resident > hash)) break
      if (++slot === capacity) slot = 0
    }
    if (journalIds[slot] !== EMPTY) {
      let empty = slot
      do {
        if (++empty === capacity) empty = 0
      } while (journalIds[empty] !== EMPTY)
      // Arrays in locals, not this.#field per slot: at high load this loop
      // runs for tens of slots, and measured about a quarter faster so.
      for (let to = empty; to !== slot;) {
        const from = to === 0 ? capacity - 1 : to - 1
        hashes[to] = hashes[from]
        journalIds[to] = journalIds[from]
        offsets[to] = offsets[from]
        lengths[to] = lengths[from]
        expiries[to] = expiries[from]
        to = from
      }
    }
    hashes[slot] = hash
    journalIds[slot] = journalId
    offsets[slot] = offsetWord
    lengths[slot] = length
    expiries[slot] = expiry
    return slot
  }

  #grow(): void {
    if (this.#capacity === MAX_CAPACITY) throw new RangeError(`Keydir cannot grow past ${MAX_CAPACITY} slots`)
    let capacity = Math.min(MAX_CAPACITY, Math.ceil(this.#capacity * GROWTH_FACTOR))
    // Tiny tables: make sure the new one really takes one more entry.
    while (capacity < MAX_CAPACITY && Math.floor(capacity * this.#maxLoad) <= this.#size) capacity++
    this.#rehash(capacity)
  }

  /** Moves every entry into a table of `capacity` slots, no fewer than it has. */
  #rehash(capacity: number): void {
    const oldHashes = this.#hashes
    const oldJournalIds = this.#journalIds
    const oldOffsets = this.#offsets
    const oldLengths = this.#lengths
    const oldExpiries = this.#expiries
    const oldCapacity = this.#capacity
    const oldScale = this.#scale
    this.#allocate(capacity)
    const hashes = this.#hashes
    const journalIds = this.#journalIds
    const scale = this.#scale
    // Read from just after an empty slot, the old table is in hash order,
    // rotated: the entries whose old home is before that slot come last. In
    // that order new homes only go up (counting on past the end of the new
    // table for the rotated part), so each entry goes at its new home or
    // right after the one before: one near-sequential pass, no shifting.
    // The rotated part cannot run into the first entries placed: any k
    // entries that end it fitted in the k old slots before the empty one, so
    // their hashes, with the empty slot's, span k + 1 old slots' worth,
    // which is at least k new slots however the two grids line up.
    let empty = 0
    while (oldJournalIds[empty] !== EMPTY) empty++
    const end = empty + oldCapacity
    let position = empty + 1
    let nextFree = 0
    for (; position < end; position++) {
      const old = position < oldCapacity ? position : position - oldCapacity
      if (oldJournalIds[old] === EMPTY) continue
      const hash = oldHashes[old]
      let target = homeSlot(hash, scale)
      if (homeSlot(hash, oldScale) < empty) target += capacity
      if (target < nextFree) target = nextFree
      const slot = target < capacity ? target : target - capacity
      if (journalIds[slot] !== EMPTY) break
      hashes[slot] = hash
      journalIds[slot] = oldJournalIds[old]
      this.#offsets[slot] = oldOffsets[old]
      this.#lengths[slot] = oldLengths[old]
      this.#expiries[slot] = oldExpiries[old]
      nextFree = target + 1
    }
    // Unreachable by the argument above, barring rounding at capacities
    // near 2³⁰; a guard costs nothing: the rest go in the slow, sure way.
    for (; position < end; position++) {
      const old = position < oldCapacity ? position : position - oldCapacity
      if (oldJournalIds[old] !== EMPTY) this.#place(oldHashes[old], oldJournalIds[old], oldOffsets[old], oldLengths[old], oldExpiries[old])
    }
    this.#startAscending()
  }

  /** An empty table may take an ascending run (insertAscending); one that holds entries may not start one. */
  #startAscending(): void {
    this.#ascendingCount = this.#size === 0 ? 0 : -1
    this.#ascendingNext = 0
    this.#ascendingHash = 0
  }

  #allocate(capacity: number): void {
    this.#hashes = new Uint32Array(capacity)
    this.#journalIds = new Uint32Array(capacity)
    this.#offsets = new Uint32Array(capacity)
    this.#lengths = new Uint32Array(capacity)
    this.#expiries = new Uint32Array(capacity)
    this.#capacity = capacity
    this.#scale = capacity / 2 ** 32
    // Never full: every probe loop relies on meeting an empty slot.
    this.#growAt = Math.min(Math.floor(capacity * this.#maxLoad), capacity - 1)
  }

  #checkLive(slot: number): void {
    if (!(this.#journalIds[slot] > EMPTY)) throw new RangeError(`Keydir slot ${String(slot)} holds no entry`)
  }
}
