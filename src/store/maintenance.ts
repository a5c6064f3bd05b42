import { isSystemError, SpillwayError } from '../errors.js'
import { hashKey } from '../key-hash.js'
import { compact, compactionCandidates, type CompactionProgress, type CompactionReport } from './compactor.js'
import { enforceDiskBudget } from './disk-budget.js'
import type { DiskTier } from './disk-tier.js'
import type { HeapTier } from './heap-tier.js'
import type { MaintenanceLease } from './maintenance-lease.js'
import type { ResolvedStoreOptions } from './options.js'
import type { ReadMarks } from './read-marks.js'
import type { StoreCounters } from './stats.js'
import { otherCarries } from './tag-purge.js'
import type { TagIndex } from './tag-index.js'

/** What maintenance needs of the store it keeps. */
export interface MaintainedStore {
  options: ResolvedStoreOptions
  disk: DiskTier
  heap: HeapTier
  tags: TagIndex
  readMarks: ReadMarks
  counters: StoreCounters
  /** Catches up with what other processes appended and removed: their writes decide what is live. */
  catchUp(): void
  /** A background flush failed: the next flush() must not claim the writes it covered durable. */
  noteFlushFailure(err: Error): void
  reportFailure(err: unknown): void
}

const LEASE_HELD: CompactionReport = Object.freeze({ journals: [], moved: 0, carried: 0, superseded: 0, reclaimedBytes: 0, leaseHeld: true })

/**
 * The disk budget and compaction, in the background: one task at a time in
 * this process, and, through the maintenance lease, in one process at a
 * time among those sharing the directory. A task queued when the store
 * closes never starts, and a compaction under way stops at its next yield:
 * close() waits only for that slice (and for an eviction under way).
 */
export class Maintenance {
  #store: MaintainedStore
  #lease: MaintenanceLease
  #queue: Promise<unknown> = Promise.resolve()
  #queued = false
  #closed = false
  /** A compaction under way gives up at its next yield once the store closes: it has nothing to lose by stopping. */
  #stopped = () => this.#closed

  constructor(store: MaintainedStore, lease: MaintenanceLease) {
    this.#store = store
    this.#lease = lease
  }

  /** Settles when every task queued so far has run (or been skipped by close). */
  get settled(): Promise<unknown> {
    return this.#queue
  }

  /** A look at the disk budget and the compaction thresholds, soon; at most one such look waits at a time; none with `maintenance: false`. */
  schedule(): void {
    if (this.#queued || this.#closed || !this.#store.options.maintenance) return
    this.#queued = true
    this.#enqueue(() => {
      this.#queued = false
      return this.#lease.run(() => this.#maintain(), undefined)
    }).catch((err: unknown) => {
      if (this.#closed && err instanceof SpillwayError && err.code === 'ERR_STORE_CLOSED') return
      // A compaction's flush covers the caller's writes too.
      if (isSystemError(err) && (err.syscall === 'msync' || err.syscall === 'fdatasync')) this.#store.noteFlushFailure(err)
      this.#store.reportFailure(err)
    })
  }

  /**
   * Compacts every sealed journal at least `compactionSweepThreshold` dead,
   * after the tasks queued before. When another process holds the lease, it
   * is doing this work: an empty report, marked `leaseHeld`.
   */
  compactNow(onProgress?: CompactionProgress): Promise<CompactionReport> {
    const store = this.#store
    const sweep = store.options.compactionSweepThreshold
    return this.#enqueue(() => this.#lease.run(async () => {
      store.catchUp()
      const ids = compactionCandidates(store.disk, sweep, sweep)
      onProgress?.(0, ids.length)
      const report = await compact(store.disk, ids, store.options.compactionSliceMs, this.#stopped, onProgress)
      store.counters.noteCompaction(report)
      return report
    }, LEASE_HELD))
  }

  /** No queued task starts from now on; resolves when the one under way (if any) ends. The lease is released after. */
  async close(): Promise<void> {
    this.#closed = true
    try {
      await this.#queue
    } finally {
      this.#lease.close()
    }
  }

  /** One turn, holding the lease: the disk budget, then compaction. */
  async #maintain(): Promise<void> {
    const { options, disk, heap, tags, readMarks, counters } = this.#store
    this.#store.catchUp()
    const { maxDiskBytes, compactionSliceMs } = options
    const sliceMs = () => (disk.journals.diskBytes() > maxDiskBytes ? Infinity : compactionSliceMs)
    const evictions = await enforceDiskBudget(disk, maxDiskBytes, sliceMs,
      (key) => heap.takeReadMark(Buffer.from(key).toString('utf8')),
      (key, blockTags) => {
        // The tiers agree: an entry evicted from disk leaves the heap tier too, or a purge could not find it.
        heap.delete(Buffer.from(key).toString('utf8'))
        const hash = hashKey(key, 0, key.byteLength)
        tags.removeBlock(hash, blockTags, (tag) => otherCarries(disk, hash, tag, -1))
      }, readMarks)
    for (const report of evictions) counters.noteEviction(report)
    if (!options.autoCompact) return
    const ids = compactionCandidates(disk, options.compactionThreshold, options.compactionSweepThreshold)
    if (ids.length > 0) counters.noteCompaction(await compact(disk, ids, compactionSliceMs, this.#stopped))
  }

  /** Runs `task` after every task queued before it; one that closing overtook rejects with ERR_STORE_CLOSED. */
  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const guarded = () => (this.#closed
      ? Promise.reject(new SpillwayError('ERR_STORE_CLOSED', `store ${this.#store.options.dir} closed before its queued maintenance started`))
      : task())
    const run = this.#queue.then(guarded, guarded)
    this.#queue = run.catch(() => {})
    return run
  }
}
