import { FLAG_TAGGED } from '../journal/format.js'
import type { ReplayEntry } from '../journal/journal-dir.js'
import { hashKey } from '../key-hash.js'
import { expirySeconds, type Keydir } from '../keydir.js'

/** What resolving the records needs of the disk tier. */
export interface ResolveContext {
  /** Credits a record's bytes as dead (JournalUsage). */
  died(journalId: number, length: number): void
  /**
   * Whether two records hold the same key: undefined when either cannot be
   * read. Called only for records whose key hashes and check hashes are
   * both equal.
   */
  sameKey(journalIdA: number, offsetA: number, lengthA: number, journalIdB: number, offsetB: number, lengthB: number): boolean | undefined
}

/** The seed of the check hash: any but 0, the keydir's. */
const CHECK_SEED = 0x9e3779b9
/** A tombstone, or expired: live for no key. */
const GONE = 1
/** A newer record of its key came later. */
const SUPERSEDED = 2
const TAGGED = 4
/**
 * Room for a tenth more keys than the open found: a table sized to the key
 * would rehash whole (10 M entries) at the first new key after the open.
 */
const HEADROOM = 1.1
/** Radix sort digits: 11 + 11 + 10 bits, buckets that stay in cache. */
const DIGIT_BITS = [11, 11, 10]

/**
 * The records an open replays, gathered in columns and then resolved in
 * hash order, instead of one keydir lookup as each comes: at 10 M keys a
 * lookup is a cache miss or two in a table of 240 MB, while a radix sort and
 * sequential passes are not (DiskTier.rebuild).
 *
 * The outcome is the one replaying them one by one gives, oldest first:
 * records that share a hash are taken in replay order (the sort is stable),
 * and one replaces another when they hold the same key. Keys whose second
 * hashes (another seed) differ are different; those whose second hashes
 * agree too are compared by reading them from the journals, which at 10 M
 * keys would otherwise mean some 23,000 reads for colliding hashes, each
 * mapping pages of a journal in. When either cannot be read it replaces the
 * other, as a lookup that cannot confirm a slot's key takes the slot: an
 * unreadable newer record then hides the older value (the read of it
 * reports the damage) rather than letting an overwritten value come back.
 *
 * Memory while it runs: 25 bytes a record in columns, 16 more during the
 * sort, and the tag blocks of tagged records; all let go once the keydir is
 * filled.
 */
export class ReplayedRecords {
  #count = 0
  #hashes = new Uint32Array(4096)
  /** A second hash of each key, with another seed: keys whose two hashes differ are different, with no journal read. */
  #checks = new Uint32Array(4096)
  #journalIds = new Uint32Array(4096)
  #offsets = new Uint32Array(4096)
  #lengths = new Uint32Array(4096)
  #expiries = new Uint32Array(4096)
  #flags = new Uint8Array(4096)
  /** Where a tagged record's tag block starts in #tagBytes, and its length; only once a tagged record shows up. */
  #tagAt: Uint32Array | undefined
  #tagLength: Uint16Array | undefined
  #tagBytes = new Uint8Array(0)
  #tagUsed = 0

  get count(): number {
    return this.#count
  }

  /** Adds a record with a user key (not an internal record or a purge marker). `gone`: a tombstone, or expired. */
  add(hash: number, e: ReplayEntry, gone: boolean): void {
    if (this.#count === this.#hashes.length) this.#grow()
    const i = this.#count++
    this.#hashes[i] = hash
    this.#checks[i] = hashKey(e.key, 0, e.key.byteLength, CHECK_SEED)
    this.#journalIds[i] = e.journalId
    this.#offsets[i] = e.offset
    this.#lengths[i] = e.length
    this.#expiries[i] = expirySeconds(e.expiresAt)
    this.#flags[i] = gone ? GONE : 0
    if (!gone && (e.flags & FLAG_TAGGED) !== 0 && e.tags !== undefined) this.#keepTags(i, e.tags)
  }

  /**
   * Decides which record of each key is live, credits the others as dead,
   * and fills the empty `keydir` with the live ones; `tagged(hash, block)`
   * is told of each live record's tag block.
   */
  resolveInto(keydir: Keydir, ctx: ResolveContext, tagged: (hash: number, block: Uint8Array) => void): void {
    const n = this.#count
    const { hashes: sortedHashes, order } = this.#sortByHash()
    const journalIds = this.#journalIds
    const offsets = this.#offsets
    const lengths = this.#lengths
    const flags = this.#flags
    const checks = this.#checks
    // Mark the records that lose to a newer one of their key, group by group.
    const live: number[] = []
    for (let at = 0; at < n;) {
      let end = at + 1
      while (end < n && sortedHashes[end] === sortedHashes[at]) end++
      if (end - at > 1) {
        live.length = 0
        for (let k = at; k < end; k++) {
          const r = order[k]
          let match = -1
          for (let l = 0; l < live.length && match < 0; l++) {
            const o = live[l]
            if (checks[o] !== checks[r]) continue
            if (ctx.sameKey(journalIds[o], offsets[o], lengths[o], journalIds[r], offsets[r], lengths[r]) !== false) match = l
          }
          if (match >= 0) {
            flags[live[match]] |= SUPERSEDED
            if ((flags[r] & GONE) === 0) live[match] = r
            else live.splice(match, 1)
          } else if ((flags[r] & GONE) === 0) {
            live.push(r)
          }
        }
      }
      at = end
    }
    let survivors = 0
    for (let r = 0; r < n; r++) {
      if ((flags[r] & (GONE | SUPERSEDED)) === 0) survivors++
      else ctx.died(journalIds[r], lengths[r])
    }
    keydir.reserve(keydir.size + Math.ceil(survivors * HEADROOM))
    for (let k = 0; k < n; k++) {
      const r = order[k]
      if ((flags[r] & (GONE | SUPERSEDED)) !== 0) continue
      keydir.insertAscending(sortedHashes[k], journalIds[r], offsets[r], lengths[r], this.#expiries[r])
      if ((flags[r] & TAGGED) !== 0) tagged(sortedHashes[k], this.#tagBytes.subarray(this.#tagAt![r], this.#tagAt![r] + this.#tagLength![r]))
    }
  }

  /** The hashes in ascending order and the record each came from, records of one hash in replay order. */
  #sortByHash(): { hashes: Uint32Array; order: Uint32Array } {
    const n = this.#count
    let keys = this.#hashes.subarray(0, n)
    let order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    let keysOut = new Uint32Array(n)
    let orderOut = new Uint32Array(n)
    let shift = 0
    for (const bits of DIGIT_BITS) {
      const mask = (1 << bits) - 1
      const starts = new Uint32Array(mask + 2)
      for (let i = 0; i < n; i++) starts[((keys[i] >>> shift) & mask) + 1]++
      for (let d = 1; d <= mask + 1; d++) starts[d] += starts[d - 1]
      for (let i = 0; i < n; i++) {
        const to = starts[(keys[i] >>> shift) & mask]++
        keysOut[to] = keys[i]
        orderOut[to] = order[i]
      }
      ;[keys, keysOut] = [keysOut, keys]
      ;[order, orderOut] = [orderOut, order]
      shift += bits
    }
    return { hashes: keys, order }
  }

  #keepTags(i: number, block: Uint8Array): void {
    if (this.#tagAt === undefined) {
      this.#tagAt = new Uint32Array(this.#hashes.length)
      this.#tagLength = new Uint16Array(this.#hashes.length)
    }
    if (this.#tagUsed + block.byteLength > this.#tagBytes.byteLength) {
      const bigger = new Uint8Array(Math.max(4096, 2 * (this.#tagUsed + block.byteLength)))
      bigger.set(this.#tagBytes.subarray(0, this.#tagUsed))
      this.#tagBytes = bigger
    }
    this.#tagBytes.set(block, this.#tagUsed)
    this.#tagAt[i] = this.#tagUsed
    this.#tagLength![i] = block.byteLength
    this.#tagUsed += block.byteLength
    this.#flags[i] |= TAGGED
  }

  #grow(): void {
    const size = this.#hashes.length * 2
    const grown = <T extends Uint32Array | Uint16Array | Uint8Array>(from: T, make: (n: number) => T): T => {
      const to = make(size)
      to.set(from)
      return to
    }
    this.#hashes = grown(this.#hashes, (n) => new Uint32Array(n))
    this.#checks = grown(this.#checks, (n) => new Uint32Array(n))
    this.#journalIds = grown(this.#journalIds, (n) => new Uint32Array(n))
    this.#offsets = grown(this.#offsets, (n) => new Uint32Array(n))
    this.#lengths = grown(this.#lengths, (n) => new Uint32Array(n))
    this.#expiries = grown(this.#expiries, (n) => new Uint32Array(n))
    this.#flags = grown(this.#flags, (n) => new Uint8Array(n))
    if (this.#tagAt !== undefined) {
      this.#tagAt = grown(this.#tagAt, (n) => new Uint32Array(n))
      this.#tagLength = grown(this.#tagLength!, (n) => new Uint16Array(n))
    }
  }
}
