import { SpillwayError } from '../errors.js'
import type { CorruptionReport } from '../journal/corruption.js'
import { FLAG_PURGE, FLAG_TOMBSTONE } from '../journal/format.js'
import { JournalDir } from '../journal/journal-dir.js'
import { valueBytes } from '../input-bytes.js'
import { backend as defaultBackend, mappingFor } from '../native.js'
import { compact, compactionCandidates, type CompactionReport } from './compactor.js'
import { DirectoryLock } from './directory-lock.js'
import { enforceDiskBudget } from './disk-budget.js'
import { DiskTier, EncodedKey } from './disk-tier.js'
import { Doorkeeper } from './doorkeeper.js'
import { DurabilityPolicy } from './durability.js'
import { HeapTier } from './heap-tier.js'
import { resolveStoreOptions, type ResolvedStoreOptions, type StoreOptions } from './options.js'
import { StoreCounters, type StoreStats } from './stats.js'
import { decodeValue, encodeTags, encodeValue } from './stored-value.js'
import { TagIndex } from './tag-index.js'

export interface SetOptions {
  /** Milliseconds the entry stays readable. @default no expiry */
  ttl?: number
  /** Tags for purgeTag. */
  tags?: string[]
}

/** The options of a set that passes none: one object, not one per call. */
const NO_OPTIONS: SetOptions = Object.freeze({})

/**
 * The cache: a byte-bounded tier of decoded values in the heap, in front of
 * the journals on disk. Reads try the heap tier, then the keydir and one
 * journal read; writes append to the active journal and go around the heap
 * tier (replacing a value it holds).
 * Values come back as Buffers the store keeps no other reference to, except
 * that a heap-tier hit returns the tier's own Buffer: treat it as read-only.
 */
export class Store {
  readonly options: ResolvedStoreOptions
  #disk: DiskTier
  #heap: HeapTier
  #tags = new TagIndex()
  #key = new EncodedKey()
  #doorkeeper: Doorkeeper | undefined
  #durability: DurabilityPolicy
  /** Evictions and compactions, one at a time, in the background. */
  #maintenance: Promise<unknown> = Promise.resolve()
  #maintenanceQueued = false
  #lock: DirectoryLock
  #counters: StoreCounters
  #activeJournal: number | undefined
  #closed = false

  private constructor(options: ResolvedStoreOptions, disk: DiskTier, lock: DirectoryLock, counters: StoreCounters) {
    this.options = options
    this.#disk = disk
    this.#lock = lock
    this.#counters = counters
    this.#heap = new HeapTier(options.maxHeapBytes)
    this.#doorkeeper = options.admission === 'second-hit' ? new Doorkeeper(options.admissionWindow) : undefined
    this.#durability = new DurabilityPolicy(options.durability, options.syncIntervalMs, disk.journals)
    this.#activeJournal = disk.journals.activeJournalId()
  }

  /** Opens a store: checks the options, locks the directory and rebuilds the index from the journals. */
  static async open(options: StoreOptions): Promise<Store> {
    const resolved = resolveStoreOptions(options)
    const counters = new StoreCounters()
    const onCorruption = (report: CorruptionReport) => {
      counters.corruptions++
      resolved.onCorruption?.(report)
    }
    const lock = DirectoryLock.acquire(mappingFor(resolved.backend ?? defaultBackend()), resolved.dir)
    let journals: JournalDir | undefined
    try {
      journals = JournalDir.open(resolved.dir, {
        journalBytes: resolved.journalBytes, maxMappedBytes: resolved.maxMappedBytes, recovery: resolved.recovery,
        onCorruption, verifyReads: resolved.verifyReads, backend: resolved.backend, now: resolved.now,
      })
      const disk = new DiskTier(journals)
      const store = new Store(resolved, disk, lock, counters)
      disk.rebuild(store.#tags, resolved.now())
      return store
    } catch (err) {
      journals?.close()
      lock.release()
      throw err
    }
  }

  /** The value stored under `key`, or undefined. Rejects only for a bad key. */
  async get(key: string): Promise<Buffer | undefined> {
    return this.getSync(key)
  }

  getSync(key: string): Buffer | undefined {
    // The hot path: close() empties the heap tier first, so a hit means the store is open, and a
    // key that is not a string finds nothing in it and is refused by the checks below.
    const cached = this.#heap.get(key, this.options.now)
    if (cached !== undefined) {
      this.#counters.heapHits++
      return cached.value
    }
    this.#checkOpen()
    this.#counters.heapMisses++
    const k = this.#key.encode(key)
    const slot = this.#disk.find(k, this.options.now())
    if (slot < 0) {
      this.#counters.diskMisses++
      return undefined
    }
    this.#counters.diskHits++
    const keydir = this.#disk.keydir
    const record = this.#disk.record!
    const value = decodeValue(record.value, record.flags)
    // Promoted on its second disk read: a key read once does not push a hotter one out of the heap tier.
    if (keydir.wasHit(slot)) this.#heap.set(key, value, record.expiresAt, false)
    else keydir.markHit(slot)
    return value
  }

  /** Whether `key` holds an unexpired value. Does not count as a read. */
  has(key: string): boolean {
    this.#checkOpen()
    const now = this.options.now()
    const cached = typeof key === 'string' ? this.#heap.peek(key) : undefined
    if (cached !== undefined && (cached.expiresAt === 0 || cached.expiresAt > now)) return true
    return this.#disk.find(this.#key.encode(key), now) >= 0
  }

  /**
   * Stores `value` under `key`. Rejects with ERR_KEY_INVALID,
   * ERR_KEY_TOO_LARGE, ERR_VALUE_INVALID or ERR_VALUE_TOO_LARGE before
   * changing anything, and with ERR_DISK_FULL when no journal can take it (the
   * previous value, if any, stays).
   */
  async set(key: string, value: Buffer | Uint8Array | string, options: SetOptions = NO_OPTIONS): Promise<void> {
    this.#checkOpen()
    const k = this.#key.encode(key)
    const bytes = valueBytes(value)
    const now = this.options.now()
    const expiresAt = expiryOf(options.ttl, now)
    // Checked before anything changes, even for a write that will stay in the heap tier.
    const tagBlock = options.tags === undefined || options.tags.length === 0 ? undefined : encodeTags(options.tags)
    let slot = this.#disk.find(k, now, false)
    if (slot < 0 && this.#doorkeeper !== undefined && !this.#doorkeeper.admit(k.hash)) {
      // First sighting: the heap tier only. (A key already on disk is always rewritten there,
      // or the stale disk value would come back once the heap tier dropped this one.)
      this.#counters.admissionSkips++
      this.#heap.set(key, Buffer.from(bytes), expiresAt, true)
      this.#tags.set(key, options.tags)
      return
    }
    // Encoded (and compressed) only once the value is known to reach disk.
    const encoded = encodeValue(bytes, tagBlock, this.options.compression ? this.options.compressThreshold : Infinity)
    slot = this.#disk.write(k, slot, encoded.flags, encoded.bytes, expiresAt, bytes.byteLength)
    this.#counters.diskWrites++
    // Write-around: a value enters the heap tier on its second read, as one read from disk does, so a
    // bulk load cannot push the hot set out. A value the tier already holds is replaced there.
    if (this.#heap.peek(key) !== undefined) this.#heap.set(key, Buffer.from(bytes), expiresAt, false)
    this.#tags.set(key, options.tags)
    // Awaited only when there is something to wait for: most writes finish without a turn of the microtask queue.
    const backlog = this.#afterAppend()
    if (backlog !== undefined) await backlog
    const durable = this.#durability.afterWrite()
    if (durable !== undefined) await durable
  }

  /**
   * Deletes `key`; true when it held a value. The delete is a tombstone record.
   * On a full disk the entry is still gone from this process, and the call
   * rejects with ERR_DISK_FULL: the delete could not be made to outlive it.
   */
  async delete(key: string): Promise<boolean> {
    this.#checkOpen()
    const k = this.#key.encode(key)
    const now = this.options.now()
    const cached = this.#heap.peek(key)
    const inHeap = cached !== undefined && (cached.expiresAt === 0 || cached.expiresAt > now)
    this.#heap.delete(key)
    this.#tags.delete(key)
    const slot = this.#disk.find(k, now)
    if (slot < 0) return inHeap
    this.#disk.dropSlot(slot)
    this.#disk.writeMarker(k.view(), FLAG_TOMBSTONE)
    await this.#afterAppend()
    await this.#durability.afterWrite()
    return true
  }

  /** Invalidates every entry carrying `tag`, and returns how many there were. Survives a restart. */
  async purgeTag(tag: string): Promise<number> {
    this.#checkOpen()
    if (typeof tag !== 'string' || tag.length === 0) throw new SpillwayError('ERR_VALUE_INVALID', 'tag must be a non-empty string')
    const now = this.options.now()
    let purged = 0
    for (const key of this.#tags.keysWith(tag)) {
      const cached = this.#heap.peek(key)
      this.#heap.delete(key)
      this.#tags.delete(key)
      const k = this.#key.encode(key)
      const slot = this.#disk.find(k, now)
      if (slot >= 0) {
        this.#disk.dropSlot(slot)
        this.#disk.writeMarker(k.view(), FLAG_TOMBSTONE)
        purged++
      } else if (cached !== undefined && (cached.expiresAt === 0 || cached.expiresAt > now)) {
        purged++
      }
    }
    this.#disk.writeMarker(Buffer.from(tag, 'utf8'), FLAG_PURGE)
    await this.#afterAppend()
    await this.#durability.afterWrite()
    return purged
  }

  /** Every key holding an unexpired value, disk tier first, then those only in the heap tier. */
  async *keys(): AsyncIterableIterator<string> {
    this.#checkOpen()
    const now = this.options.now()
    const { keydir, journals } = this.#disk
    const where: number[] = []
    keydir.forEach((slot) => where.push(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot)))
    for (let i = 0; i < where.length; i += 3) {
      const record = journals.viewAt(where[i], where[i + 1], where[i + 2])
      if (record !== undefined && (record.expiresAt === 0 || record.expiresAt > now)) yield Buffer.from(record.key).toString('utf8')
    }
    for (const key of [...this.#heap.keys()]) {
      const entry = this.#heap.peek(key)
      if (entry?.heapOnly === true && (entry.expiresAt === 0 || entry.expiresAt > now)) yield key
    }
  }

  /** Everything written so far is durable (msync) when this resolves. */
  async flush(): Promise<void> {
    this.#checkOpen()
    await this.#durability.flush()
  }

  /** Compacts every sealed journal at least `compactionSweepThreshold` dead, now. */
  async compact(): Promise<CompactionReport> {
    this.#checkOpen()
    const sweep = this.options.compactionSweepThreshold
    return this.#enqueue(async () => {
      const report = await compact(this.#disk, compactionCandidates(this.#disk, sweep, sweep), this.options.compactionSliceMs)
      this.#counters.noteCompaction(report)
      return report
    })
  }

  stats(): StoreStats {
    return this.#counters.snapshot(this.#heap, this.#disk, this.options)
  }

  /** Flushes (unless durability is 'none'), closes the journals and unlocks the directory. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#heap.clear()
    this.#durability.close()
    try {
      await this.#maintenance
      if (this.options.durability !== 'none') await this.#durability.flush()
      // Sidecars make the next open fast; a crash instead of a close only costs a scan then.
      await this.#disk.journals.backgroundSettled()
    } finally {
      this.#disk.journals.close()
      this.#lock.release()
    }
  }

  /**
   * After each append: a new journal means the disk budget and the
   * compaction thresholds need a look, in the background. If a journal opens
   * past the budget while an eviction still runs, that eviction stops
   * yielding, and the writer waits for it: a loop of writes that never
   * returns to the event loop would otherwise starve it.
   */
  #afterAppend(): Promise<unknown> | undefined {
    const active = this.#disk.journals.activeJournalId()
    if (active === this.#activeJournal) return undefined
    this.#activeJournal = active
    this.#scheduleMaintenance()
    return this.#disk.journals.diskBytes() > this.options.maxDiskBytes ? this.#maintenance : undefined
  }

  #scheduleMaintenance(): void {
    if (this.#maintenanceQueued) return
    this.#maintenanceQueued = true
    this.#enqueue(async () => {
      this.#maintenanceQueued = false
      const { maxDiskBytes, compactionSliceMs } = this.options
      const sliceMs = () => (this.#disk.journals.diskBytes() > maxDiskBytes ? Infinity : compactionSliceMs)
      const evictions = await enforceDiskBudget(this.#disk, maxDiskBytes, sliceMs,
        (key) => this.#heap.takeReadMark(Buffer.from(key).toString('utf8')),
        (key) => this.#tags.delete(Buffer.from(key).toString('utf8')))
      for (const report of evictions) this.#counters.noteEviction(report)
      if (!this.options.autoCompact) return
      const ids = compactionCandidates(this.#disk, this.options.compactionThreshold, this.options.compactionSweepThreshold)
      if (ids.length > 0) this.#counters.noteCompaction(await compact(this.#disk, ids, compactionSliceMs))
    }).catch(() => this.#counters.maintenanceFailures++)
  }

  /** Runs `task` after every maintenance task queued before it. */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#maintenance.then(task, task)
    this.#maintenance = run.catch(() => {})
    return run
  }

  #checkOpen(): void {
    if (this.#closed) throw new SpillwayError('ERR_STORE_CLOSED', `store ${this.options.dir} is closed`)
  }
}

function expiryOf(ttl: unknown, now: number): number {
  if (ttl === undefined) return 0
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new SpillwayError('ERR_VALUE_INVALID', `ttl must be a positive, finite number of milliseconds; got ${String(ttl)}`)
  }
  return now + ttl
}

/** Opens a store; see StoreOptions. */
export function openStore(options: StoreOptions): Promise<Store> {
  return Store.open(options)
}
