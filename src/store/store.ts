import { SpillwayError, withErrorCode } from '../errors.js'
import type { CorruptionReport } from '../journal/corruption.js'
import { FLAG_COMPRESSED, FLAG_PURGE, FLAG_TOMBSTONE } from '../journal/format.js'
import { JournalDir } from '../journal/journal-dir.js'
import { valueBytes } from '../input-bytes.js'
import { backend as defaultBackend, mappingFor, type BackendName } from '../native.js'
import type { CompactionProgress, CompactionReport } from './compactor.js'
import { DirectoryLock } from './directory-lock.js'
import { DiskTier, EncodedKey } from './disk-tier.js'
import { Doorkeeper } from './doorkeeper.js'
import { Follower } from './follow.js'
import { MaintenanceLease } from './maintenance-lease.js'
import { Maintenance } from './maintenance.js'
import { FollowedRecords } from './followed-records.js'
import { DurabilityPolicy } from './durability.js'
import { HeapTier } from './heap-tier.js'
import { journalStatsOf, type JournalStats } from './journal-stats.js'
import { KeySnapshot } from './key-snapshot.js'
import { LeaseTable } from './lease-table.js'
import { ReadMarks } from './read-marks.js'
import { RecoveryPoint } from './recovery-point.js'
import { resolveStoreOptions, type BackgroundOperation, type ResolvedStoreOptions, type StoreOptions } from './options.js'
import { StoreCounters, type StoreStats } from './stats.js'
import { decodeTags, decodeValue, encodeTags, encodeValue, MAX_TAG_BLOCK_BYTES, valuePayload } from './stored-value.js'
import { sameBlock, TagIndex, tagBlockOf } from './tag-index.js'
import { otherCarries, purgeTagged } from './tag-purge.js'
import { checkFitsJournal, expiryOf, fitsJournal, storedBytes } from './write-checks.js'

export interface SetOptions {
  /** Milliseconds the entry stays readable. @default no expiry */
  ttl?: number
  /** Tags for purgeTag. */
  tags?: string[]
}

/** What `Store.describe` tells of an entry. */
export interface EntryInfo {
  /** Bytes of the value, as `get` returns it. */
  size: number
  /** When it stops being readable, in ms since the Unix epoch; undefined when it never expires. */
  expiresAt: number | undefined
  /** Its tags, as given to `set`. */
  tags: string[]
  /** Where its record is on disk; undefined for an entry held only in the heap tier. */
  journal: number | undefined
  offset: number | undefined
}

export interface CompactOptions {
  /** Told after each journal the compaction deals with: `done` of `total`, starting with 0 of `total`. */
  onProgress?: CompactionProgress
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
  /**
   * Named, expiring leases shared by every process with this directory open
   * (src/store/lease-table.ts): one of them does a piece of work the others
   * wait for, such as the HTTP middleware's origin fetch of a missed URL.
   */
  readonly leases: LeaseTable
  /** Disk reads of every process, for the disk budget's hot reinsertion (src/store/read-marks.ts). */
  #readMarks: ReadMarks
  #disk: DiskTier
  #heap: HeapTier
  /** Tag postings for the entries on disk (typed arrays), and tags of heap-only entries. */
  #tags = new TagIndex((keyHash) => this.#disk.keydir.find(keyHash) >= 0)
  #key = new EncodedKey()
  #doorkeeper: Doorkeeper | undefined
  #durability: DurabilityPolicy
  /** Evictions and compactions, one at a time, in the background, in one process at a time among those sharing the directory. */
  #maintenance: Maintenance
  #lock: DirectoryLock
  #counters: StoreCounters
  #activeJournal: number | undefined
  /** Following other processes' appends: on the mmap backend, where the directory may be shared. */
  #follower: Follower | undefined
  #closed = false
  #closing: Promise<void> | undefined

  private constructor(options: ResolvedStoreOptions, disk: DiskTier, lock: DirectoryLock, lease: MaintenanceLease, counters: StoreCounters) {
    this.options = options
    const api = mappingFor(options.backend ?? defaultBackend())
    this.leases = LeaseTable.open(api, options.dir)
    this.#readMarks = ReadMarks.open(api, options.dir)
    this.#disk = disk
    disk.readMarks = this.#readMarks
    this.#lock = lock
    this.#counters = counters
    this.#heap = new HeapTier(options.maxHeapBytes)
    this.#doorkeeper = options.admission === 'second-hit' ? new Doorkeeper(options.admissionWindow) : undefined
    this.#durability = new DurabilityPolicy(options.durability, options.syncIntervalMs, disk.journals,
      (err) => this.#reportBackground(err, 'flush'))
    this.#activeJournal = disk.journals.activeJournalId()
    const store = this
    this.#maintenance = new Maintenance({
      options, disk, heap: this.#heap, tags: this.#tags, readMarks: this.#readMarks, counters,
      catchUp: () => store.#follower?.catchUp(),
      noteFlushFailure: (err) => this.#durability.noteFailure(err),
      reportFailure: (err) => this.#reportBackground(err, 'maintenance'),
    }, lease)
  }

  /** Opens a store: checks the options, locks the directory and rebuilds the index from the journals. */
  static async open(options: StoreOptions): Promise<Store> {
    const resolved = resolveStoreOptions(options)
    const counters = new StoreCounters()
    // Salvage trades consistency for data by definition (FORMAT.md §Recovery); the other modes keep a recovery point.
    let recoveryPoint = resolved.recovery === 'salvage' ? undefined : new RecoveryPoint()
    const onCorruption = (report: CorruptionReport) => {
      counters.corruptions++
      recoveryPoint?.note(report)
      resolved.onCorruption?.(report)
    }
    const lock = DirectoryLock.acquire(resolved.backend ?? defaultBackend(), resolved.dir, resolved.journalBytes)
    let journals: JournalDir | undefined
    let store: Store | undefined
    let lease: MaintenanceLease | undefined
    try {
      lease = MaintenanceLease.open(resolved.dir)
      journals = JournalDir.open(resolved.dir, {
        journalBytes: resolved.journalBytes, maxMappedBytes: resolved.maxMappedBytes, recovery: resolved.recovery,
        onCorruption, verifyReads: resolved.verifyReads, backend: resolved.backend, now: resolved.now,
      })
      const disk = new DiskTier(journals)
      store = new Store(resolved, disk, lock, lease, counters)
      const retired = disk.rebuild(store.#tags, resolved.now())
      const shared = journals.backend === 'mmap'
      if (shared) disk.ownAppends = new Set()
      // Following first: a recovery's tombstones are then claimed and checked like moves (recovery-point.ts).
      const followed = shared ? store.#follow(onCorruption) : undefined
      recoveryPoint?.forgetAfter(disk, store.#tags)
      // Reports after the open (a read, a sidecar build) do not move the recovery point.
      recoveryPoint = undefined
      if (followed !== undefined) {
        for (const journalId of retired) {
          followed.dropJournal(journalId)
          void disk.journals.removeJournal(journalId)
        }
      }
      return store
    } catch (err) {
      journals?.close()
      lease?.close()
      if (store !== undefined) {
        store.leases.close()
        store.#readMarks.close()
      }
      lock.release()
      throw err
    }
  }

  /**
   * Starts following what other processes append (follow.ts). Journals
   * whose removal replay met announced, but whose files a crash left, are
   * for the caller to drop from the returned records and remove.
   */
  #follow(onCorruption: (report: CorruptionReport) => void): FollowedRecords {
    const disk = this.#disk
    const followed = new FollowedRecords(disk, this.#heap, this.#tags, this.options.now, (journalId) => {
      this.#follower?.forgetJournal(journalId)
      disk.beforeRemove(journalId)
      followed.dropJournal(journalId)
      disk.journals.forgetJournal(journalId)
    })
    disk.onTombstone = (key, position) => followed.noteTombstone(key, position)
    const follower = new Follower(disk.journals, (journalId, offset, view) => followed.apply(journalId, offset, view),
      (position) => followed.settle(position), onCorruption)
    follower.onEnter = () => this.#maintenance.schedule()
    followed.settledPosition = () => follower.settledPosition()
    disk.settle = (at) => follower.settleBefore(at)
    disk.skipOwn = (at) => follower.stepOver(at)
    this.#follower = follower
    return followed
  }

  /** The value stored under `key`, or undefined. Rejects only for a bad key. */
  async get(key: string): Promise<Buffer | undefined> {
    return this.getSync(key)
  }

  getSync(key: string): Buffer | undefined {
    // What other processes appended first, so no entry they superseded is served (one atomic load when nothing changed).
    this.#follower?.catchUp()
    // The hot path: close() empties the heap tier first, so a hit means the store is open, and a
    // key that is not a string finds nothing in it and is refused by the checks below.
    const bypassed = this.#heap.bypass()
    const cached = bypassed ? undefined : this.#heap.get(key, this.options.now)
    if (cached !== undefined) {
      this.#counters.heapHits++
      return cached.value
    }
    this.#checkOpen()
    this.#counters.heapMisses++
    const k = this.#key.encode(key)
    const slot = this.#disk.findUnexpired(k, this.options.now())
    if (slot < 0) {
      this.#counters.diskMisses++
      return undefined
    }
    this.#counters.diskHits++
    const keydir = this.#disk.keydir
    const record = this.#disk.record!
    // Promoted on its second disk read: a key read once does not push a hotter one out of the heap tier.
    // A promoted value is copied once, into the tier, and the caller gets the tier's copy, as a hit would.
    if (keydir.wasHit(slot)) {
      if (!bypassed) {
        const kept = this.#heap.set(key, valuePayload(record.value, record.flags), record.expiresAt, false)
        if (kept !== undefined) return kept
      }
    } else {
      keydir.markHit(slot)
      this.#readMarks.mark(keydir.journalId(slot), keydir.offset(slot))
    }
    return decodeValue(record.value, record.flags)
  }

  /**
   * What `key` holds (size, expiry, tags, where it is on disk), or undefined
   * when it holds no unexpired value. Does not count as a read, and reads
   * the value only to learn its size when it is compressed.
   */
  describe(key: string): EntryInfo | undefined {
    this.#checkOpen()
    this.#follower?.catchUp()
    const now = this.options.now()
    const cached = typeof key === 'string' ? this.#heap.peek(key) : undefined
    if (cached?.heapOnly === true && (cached.expiresAt === 0 || cached.expiresAt > now)) {
      return { size: cached.value.byteLength, expiresAt: cached.expiresAt || undefined, tags: this.#tags.heapOnlyTagsOf(key), journal: undefined, offset: undefined }
    }
    const slot = this.#disk.findUnexpired(this.#key.encode(key), now)
    if (slot < 0) return undefined
    const record = this.#disk.record!
    const block = tagBlockOf(record.flags, record.value)
    return {
      size: (record.flags & FLAG_COMPRESSED) !== 0
        ? decodeValue(record.value, record.flags).byteLength
        : record.value.byteLength - (block === undefined ? 0 : 2 + block.byteLength),
      expiresAt: record.expiresAt || undefined,
      tags: block === undefined || block.byteLength === 0 ? [] : decodeTags(block),
      journal: this.#disk.keydir.journalId(slot),
      offset: this.#disk.keydir.offset(slot),
    }
  }

  /** Whether `key` holds an unexpired value. Does not count as a read. */
  has(key: string): boolean {
    this.#checkOpen()
    this.#follower?.catchUp()
    const now = this.options.now()
    const cached = typeof key === 'string' ? this.#heap.peek(key) : undefined
    if (cached !== undefined && (cached.expiresAt === 0 || cached.expiresAt > now)) return true
    return this.#disk.findUnexpired(this.#key.encode(key), now) >= 0
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
    if (options === null || typeof options !== 'object') {
      throw new SpillwayError('ERR_VALUE_INVALID', `set options must be an object; got ${options === null ? 'null' : typeof options}`)
    }
    const now = this.options.now()
    const expiresAt = expiryOf(options.ttl, now)
    // Checked before anything changes, even for a write that will stay in the heap tier.
    const tagBlock = options.tags === undefined ? undefined : encodeTags(options.tags)
    const compressFrom = this.options.compression ? this.options.compressThreshold : Infinity
    // A value that can never reach disk is refused now, not on the sighting that would admit it.
    let encoded = fitsJournal(k.length, storedBytes(bytes.byteLength, tagBlock), this.options.journalBytes)
      ? undefined : encodeValue(bytes, tagBlock, compressFrom)
    if (encoded !== undefined) checkFitsJournal(k.length, bytes.byteLength, encoded.bytes.byteLength, this.options.journalBytes)
    this.#follower?.catchUp()
    let slot = this.#disk.find(k, now, false)
    if (slot < 0 && this.#doorkeeper !== undefined && !this.#doorkeeper.admit(k.hash)) {
      // First sighting: the heap tier only. (A key already on disk is always rewritten there,
      // or the stale disk value would come back once the heap tier dropped this one.)
      this.#counters.admissionSkips++
      this.#heap.set(key, bytes, expiresAt, true)
      this.#tags.setHeapOnly(key, options.tags)
      this.#tags.pruneHeapOnly(this.#heap.entries, (held) => this.#heap.peek(held)?.heapOnly === true)
      return
    }
    // The replaced record's tags, while its views are valid: copied only when they change, which is rare.
    let oldBlock = slot >= 0 ? tagBlockOf(this.#disk.record!.flags, this.#disk.record!.value) : undefined
    const tagsChanged = !sameBlock(oldBlock, tagBlock)
    if (tagsChanged && oldBlock !== undefined) oldBlock = oldBlock.slice()
    // Encoded (and compressed) only once the value is known to reach disk.
    encoded ??= encodeValue(bytes, tagBlock, compressFrom)
    slot = this.#disk.write(k, slot, encoded.flags, encoded.bytes, expiresAt, bytes.byteLength)
    this.#counters.diskWrites++
    // Write-around: a value enters the heap tier on its second read, as one read from disk does, so a
    // bulk load cannot push the hot set out. A value the tier already holds is replaced there.
    if (this.#heap.peek(key) !== undefined) this.#heap.set(key, bytes, expiresAt, false)
    this.#tags.deleteHeapOnly(key)
    if (tagsChanged) {
      const hash = k.hash
      this.#tags.removeBlock(hash, oldBlock, (tag) => otherCarries(this.#disk, hash, tag, slot))
      this.#tags.addBlock(hash, tagBlock)
    }
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
    this.#follower?.catchUp()
    const now = this.options.now()
    const cached = this.#heap.peek(key)
    const inHeap = cached !== undefined && (cached.expiresAt === 0 || cached.expiresAt > now)
    this.#heap.delete(key)
    this.#tags.deleteHeapOnly(key)
    const slot = this.#disk.find(k, now)
    if (slot < 0) return inHeap
    const block = tagBlockOf(this.#disk.record!.flags, this.#disk.record!.value)?.slice()
    const hash = k.hash
    this.#disk.dropSlot(slot)
    this.#tags.removeBlock(hash, block, (tag) => otherCarries(this.#disk, hash, tag, -1))
    this.#disk.writeMarker(k.view(), FLAG_TOMBSTONE)
    await this.#afterAppend()
    await this.#durability.afterWrite()
    return true
  }

  /** Invalidates every entry carrying `tag`, and returns how many there were. Survives a restart. */
  async purgeTag(tag: string): Promise<number> {
    this.#checkOpen()
    if (typeof tag !== 'string' || tag.length === 0) throw new SpillwayError('ERR_VALUE_INVALID', 'tag must be a non-empty string')
    const tagBytes = Buffer.byteLength(tag, 'utf8')
    if (tagBytes > MAX_TAG_BLOCK_BYTES) {
      throw new SpillwayError('ERR_VALUE_TOO_LARGE', `tag of ${tagBytes} bytes: no entry can carry it (tags take at most ${MAX_TAG_BLOCK_BYTES} bytes)`)
    }
    this.#follower?.catchUp()
    const purged = purgeTagged(this.#disk, this.#heap, this.#tags, tag, this.options.now())
    this.#disk.writeMarker(Buffer.from(tag, 'utf8'), FLAG_PURGE)
    await this.#afterAppend()
    await this.#durability.afterWrite()
    return purged
  }

  /**
   * Every key holding an unexpired value, disk tier first, then those only in
   * the heap tier. The keys held when the iteration begins are its
   * candidates; each is yielded when its turn comes if it still holds an
   * unexpired value then. So a key live for the whole iteration is yielded
   * exactly once, whatever compactions and evictions run meanwhile; a key
   * deleted or expired before its turn is not yielded, and a key first set
   * during the iteration may not be. Rejects with ERR_STORE_CLOSED if the
   * store closes before the iteration ends.
   */
  async *keys(): AsyncIterableIterator<string> {
    this.#checkOpen()
    this.#follower?.catchUp()
    const now = this.options.now()
    const { keydir, journals } = this.#disk
    const snapshot = new KeySnapshot()
    keydir.forEach((slot) => snapshot.add(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot)))
    const heapOnly: string[] = []
    for (const key of this.#heap.keys()) {
      const entry = this.#heap.peek(key)
      if (entry?.heapOnly === true && (entry.expiresAt === 0 || entry.expiresAt > now)) heapOnly.push(key)
    }
    // A journal a compaction or an eviction is about to delete: read the names of its candidates while they can be.
    const stop = this.#disk.onBeforeRemove((journalId) => snapshot.resolveJournal(journalId, journals))
    try {
      for (let i = 0; i < snapshot.size; i++) {
        const key = snapshot.keyAt(i, journals)
        if (key !== undefined && this.has(key)) yield key
      }
      for (const key of heapOnly) if (this.has(key)) yield key
    } finally {
      stop()
    }
  }

  /**
   * Everything written so far is durable (msync) when this resolves. Rejects
   * with the failure of a background flush (or compaction flush) that no
   * flush() has reported yet: the bytes it covered may be lost.
   */
  async flush(): Promise<void> {
    this.#checkOpen()
    await this.#durability.flush()
  }

  /**
   * Compacts every sealed journal at least `compactionSweepThreshold` dead,
   * now. When another process sharing the directory holds the maintenance
   * lease, it is doing this work: resolves at once with an empty report
   * whose `leaseHeld` is true.
   */
  async compact(options: CompactOptions = {}): Promise<CompactionReport> {
    this.#checkOpen()
    return this.#maintenance.compactNow(options.onProgress)
  }

  /** The backend the store's journals use: 'mmap' shares the directory with other processes, 'pread' keeps it to itself. */
  get backend(): BackendName {
    return this.#disk.journals.backend
  }

  /** Whether close() was called: then stats() no longer describes the directory, and reads and writes are refused. */
  get closed(): boolean {
    return this.#closed
  }

  /** The numbers of this store; on a shared directory, after what other processes appended (entries, bytes, journals). */
  stats(): StoreStats {
    this.#follower?.catchUp()
    return this.#counters.snapshot(this.#heap, this.#disk, this.options)
  }

  /** Each journal open here, oldest first, with its state and dead ratio (as this process counts them). */
  journalStats(): JournalStats[] {
    this.#checkOpen()
    this.#follower?.catchUp()
    return journalStatsOf(this.#disk)
  }

  /** Flushes (unless durability is 'none'), closes the journals and unlocks the directory. */
  close(): Promise<void> {
    // A second call waits for the first: the directory is unlocked only when both resolve.
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    this.#closed = true
    this.#follower = undefined
    this.#heap.clear()
    this.#durability.close()
    try {
      await this.#maintenance.close()
      if (this.options.durability !== 'none') await this.#durability.flush()
      // Sidecars make the next open fast; a crash instead of a close only costs a scan then.
      await this.#disk.journals.backgroundSettled()
    } finally {
      this.#disk.journals.close()
      this.leases.close()
      this.#readMarks.close()
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
    this.#maintenance.schedule()
    return this.#disk.journals.diskBytes() > this.options.maxDiskBytes ? this.#maintenance.settled : undefined
  }

  /** Counts a failure of background work and hands it to onError, with a `.code` whatever it was. */
  #reportBackground(err: unknown, operation: BackgroundOperation): void {
    const error = withErrorCode(err, `background ${operation}`)
    if (operation === 'flush') this.#counters.flushFailures++
    else this.#counters.maintenanceFailures++
    this.#counters.lastErrorCode = error.code
    this.options.onError?.(error, operation)
  }

  #checkOpen(): void {
    if (this.#closed) throw new SpillwayError('ERR_STORE_CLOSED', `store ${this.options.dir} is closed`)
  }
}

/** Opens a store; see StoreOptions. */
export function openStore(options: StoreOptions): Promise<Store> {
  return Store.open(options)
}
