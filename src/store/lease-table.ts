import { randomInt } from 'node:crypto'
import { processIsAlive } from '../journal/temp-files.js'
import { hashKey } from '../key-hash.js'
import type { MappingApi } from '../native.js'
import { openSharedFile, SHARED_HEADER_BYTES, type SharedFile, type SharedFileKind } from './shared-file.js'

/** FORMAT.md §Lease table. */
export const LEASES_FILE: SharedFileKind = { name: 'LEASES', magic: 'SPWL', version: 1, entries: 4096, entryBytes: 40 }
/** The words of a slot, as u64 indexes from its start (FORMAT.md §Lease table). */
const OWNER = 0
const HASH = 1
const DEADLINE = 2
const CLAIMS = 3
const INVALIDATIONS = 4
const WORDS_PER_SLOT = LEASES_FILE.entryBytes / 8
/** Set in the owner word while its holder fills in the rest of the slot. */
const PENDING = 1n << 63n
const PID_MASK = 0xffff_ffffn
/** Tries before contention on one slot counts as no slot to be had. */
const MAX_TRIES = 8
const HASH_SEED = 0x9747b28c

/**
 * What `take` found: 'taken', the caller holds the lease; 'held', another
 * live holder has it (or is claiming the slot right now), so wait for its
 * work; 'full', the name's slot is held for another name, so there is no
 * lease to be had for it: work without one.
 */
export type LeaseClaim = 'taken' | 'held' | 'full'

export interface LeaseTableOptions {
  /** Clock for deadlines, shared by every process. @default Date.now */
  now?: () => number
}

/**
 * Named, expiring leases shared by every process and thread that has the
 * store directory open (FORMAT.md §Lease table): a fixed table of slots in
 * the mapped file `LEASES`, each holding one name (by a 64-bit hash) for one
 * holder (pid and a token per table) until a deadline. A name has exactly
 * one slot, and the slot's owner word changes only by compareExchange, so
 * two holders can never both hold one name, whatever hashes collide: a
 * name whose slot is held for another name gets 'full', and its caller goes
 * on without a lease. A lease whose holder died (its pid is gone) or whose
 * deadline passed is taken over by the next `take`.
 * On the pread backend the table is private to the thread that opened it:
 * leases then order this process's own work only.
 */
export class LeaseTable {
  /** Whether other processes see these leases (the mmap backend, with `LEASES` mapped). */
  readonly shared: boolean
  /** Why they do not, when they do not. */
  readonly notSharedBecause: string | undefined
  #file: SharedFile
  #words: BigUint64Array
  #me: bigint
  #now: () => number
  #closed = false
  /** Names this table holds, released at close. */
  #held = new Set<string>()

  private constructor(file: SharedFile, now: () => number) {
    this.#file = file
    this.shared = file.shared
    this.notSharedBecause = file.reason
    this.#words = new BigUint64Array(file.buffer, SHARED_HEADER_BYTES, LEASES_FILE.entries * WORDS_PER_SLOT)
    // The token tells apart the tables of one process (worker threads, two stores): each is a holder of its own.
    this.#me = (BigInt(randomInt(1, 2 ** 31)) << 32n) | BigInt(process.pid)
    this.#now = now
  }

  /** Maps `LEASES` in `dir`; never throws (see openSharedFile). */
  static open(api: MappingApi, dir: string, options: LeaseTableOptions = {}): LeaseTable {
    return new LeaseTable(openSharedFile(api, dir, LEASES_FILE), options.now ?? Date.now)
  }

  /** Takes the lease on `name` until `ms` from now, if no one else holds it; see LeaseClaim. */
  take(name: string, ms: number): LeaseClaim {
    if (this.#closed) return 'full'
    const { base, hash } = locate(name)
    const words = this.#words
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const owner = Atomics.load(words, base + OWNER)
      if (owner !== 0n) {
        const found = this.#read(base, owner)
        if (found === undefined) continue
        // A dead holder's lease, or one past its deadline, is taken over; a live one's slot being filled counts as held.
        const live = (owner & PENDING) !== 0n ? holderAlive(owner) : found.deadline > this.#now() && holderAlive(owner)
        if (live) return (owner & PENDING) !== 0n || found.hash === hash ? 'held' : 'full'
      }
      if (Atomics.compareExchange(words, base + OWNER, owner, this.#me | PENDING) !== owner) continue
      Atomics.store(words, base + HASH, hash)
      Atomics.store(words, base + DEADLINE, BigInt(Math.max(0, Math.ceil(this.#now() + ms))))
      Atomics.add(words, base + CLAIMS, 1n)
      Atomics.store(words, base + OWNER, this.#me)
      this.#held.add(name)
      return 'taken'
    }
    return 'full'
  }

  /** Whether another holder (another process, thread or table) has the lease on `name` now, alive and within its deadline. */
  heldByOther(name: string): boolean {
    if (this.#closed) return false
    const { base, hash } = locate(name)
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      const owner = Atomics.load(this.#words, base + OWNER)
      if (owner === 0n || owner === this.#me) return false
      // Being claimed: perhaps for `name`, and for an instant only.
      if ((owner & PENDING) !== 0n) return holderAlive(owner)
      const found = this.#read(base, owner)
      if (found !== undefined) return found.hash === hash && found.deadline > this.#now() && holderAlive(owner)
    }
    return true
  }

  /** Gives up this table's lease on `name`; false when it held none (it expired and was taken over, say). */
  release(name: string): boolean {
    if (this.#closed || !this.#held.delete(name)) return false
    const { base, hash } = locate(name)
    // Only this table sets its own owner word, so the hash cannot change between the check and the exchange.
    return Atomics.load(this.#words, base + HASH) === hash && Atomics.compareExchange(this.#words, base + OWNER, this.#me, 0n) === this.#me
  }

  /**
   * How many invalidations the slot of `name` has counted. Work that began
   * before one (an origin fetch of a URL that another process then
   * invalidated) must not publish what it brings back; names that share the
   * slot share the count, which costs a discarded result, never a kept one.
   */
  invalidations(name: string): number {
    return this.#closed ? 0 : Number(Atomics.load(this.#words, locate(name).base + INVALIDATIONS))
  }

  /** Counts an invalidation of `name`, for every process to see; see invalidations(). */
  noteInvalidation(name: string): void {
    if (!this.#closed) Atomics.add(this.#words, locate(name).base + INVALIDATIONS, 1n)
  }

  /** How many times the slot of `name` has been claimed, by anyone: for tests and diagnostics. */
  claims(name: string): number {
    return this.#closed ? 0 : Number(Atomics.load(this.#words, locate(name).base + CLAIMS))
  }

  /** Releases this table's leases and unmaps it. A closed table takes nothing ('full'), sees nothing held and releases nothing. */
  close(): void {
    if (this.#closed) return
    for (const name of [...this.#held]) this.release(name)
    this.#closed = true
    this.#file.close()
  }

  /**
   * The slot's name and deadline as of `owner`, read between two loads of
   * the claim count, or undefined when a claim moved it meanwhile. Every
   * claim increments the count before it clears its pending bit, so equal
   * counts around the reads, with the owner unchanged, mean one claim's values.
   */
  #read(base: number, owner: bigint): { hash: bigint; deadline: number } | undefined {
    const words = this.#words
    const before = Atomics.load(words, base + CLAIMS)
    const hash = Atomics.load(words, base + HASH)
    const deadline = Number(Atomics.load(words, base + DEADLINE))
    if (Atomics.load(words, base + OWNER) !== owner || Atomics.load(words, base + CLAIMS) !== before) return undefined
    return { hash, deadline }
  }
}

/** The slot of `name` (as an index of u64 words) and the 64-bit hash the slot holds it by (never 0). */
export function locate(name: string): { base: number; hash: bigint } {
  const bytes = Buffer.from(name, 'utf8')
  const low = hashKey(bytes, 0, bytes.byteLength)
  const high = hashKey(bytes, 0, bytes.byteLength, HASH_SEED)
  return { base: (low % LEASES_FILE.entries) * WORDS_PER_SLOT, hash: ((BigInt(high) << 32n) | BigInt(low)) || 1n }
}

function holderAlive(owner: bigint): boolean {
  const pid = Number(owner & PID_MASK)
  return pid === process.pid || processIsAlive(pid)
}
