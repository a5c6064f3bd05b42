import type { CompactionReport } from './compactor.js'
import type { EvictionReport } from './disk-budget.js'
import type { DiskTier } from './disk-tier.js'
import type { HeapTier } from './heap-tier.js'
import type { ResolvedStoreOptions } from './options.js'

export interface TierStats {
  entries: number
  bytes: number
  maxBytes: number
  hits: number
  misses: number
}

export interface StoreStats {
  /** bypassed: reads skip the tier for now, since it hits too rarely to pay for itself (HeapTier.bypass). */
  heap: TierStats & { bypassed: boolean }
  /**
   * bytes: journal files on disk; keydirBytes: the in-heap index of them;
   * deadRatio: the share of written journal bytes nothing can read any more.
   */
  disk: TierStats & { keydirBytes: number; diskWrites: number; deadRatio: number }
  journals: { total: number; active: number; mapped: number; cold: number }
  /** Disk bytes appended (moves, reinsertions, tombstones included) per byte of key and value stored. */
  writeAmplification: number
  admission: { mode: ResolvedStoreOptions['admission']; diskWritesSaved: number }
  /**
   * superseded: live records a compaction did not move because a write or
   * delete replaced them while it ran; failures: background evictions or
   * compactions that threw (the store carries on; see errors).
   */
  compaction: { runs: number; journals: number; moved: number; superseded: number; failures: number }
  eviction: { journals: number; reinserted: number; evicted: number }
  /** Damaged stretches recovery or reads have reported. */
  corruptions: number
  /**
   * Failures of background work (see StoreOptions.onError): 'interval'
   * flushes, and evictions or compactions; lastCode is the newest one's code.
   */
  errors: { flush: number; maintenance: number; lastCode: string | undefined }
}

/** The counters a store keeps as it works, and the snapshot `stats()` gives out. */
export class StoreCounters {
  heapHits = 0
  heapMisses = 0
  diskHits = 0
  diskMisses = 0
  diskWrites = 0
  admissionSkips = 0
  corruptions = 0
  maintenanceFailures = 0
  flushFailures = 0
  lastErrorCode: string | undefined
  #compactionRuns = 0
  #compactedJournals = 0
  #moved = 0
  #superseded = 0
  #evictedJournals = 0
  #reinserted = 0
  #evicted = 0

  noteCompaction(report: CompactionReport): void {
    if (report.journals.length === 0) return
    this.#compactionRuns++
    this.#compactedJournals += report.journals.length
    this.#moved += report.moved
    this.#superseded += report.superseded
  }

  noteEviction(report: EvictionReport): void {
    this.#evictedJournals++
    this.#reinserted += report.reinserted
    this.#evicted += report.evicted
  }

  snapshot(heap: HeapTier, disk: DiskTier, options: ResolvedStoreOptions): StoreStats {
    const journals = disk.journals
    const ids = journals.journalIds()
    const mapped = ids.filter((id) => journals.journal(id)?.mapped === true).length
    return {
      heap: { entries: heap.entries, bytes: heap.bytes, maxBytes: heap.maxBytes, hits: this.heapHits, misses: this.heapMisses, bypassed: heap.bypassed },
      disk: {
        entries: disk.keydir.size, bytes: journals.diskBytes(), maxBytes: options.maxDiskBytes,
        hits: this.diskHits, misses: this.diskMisses, keydirBytes: disk.keydir.byteSize, diskWrites: this.diskWrites,
        deadRatio: disk.usage.totalDeadRatio,
      },
      journals: { total: ids.length, active: journals.activeJournalId() === undefined ? 0 : 1, mapped, cold: ids.length - mapped },
      writeAmplification: disk.usage.writeAmplification,
      admission: { mode: options.admission, diskWritesSaved: this.admissionSkips },
      compaction: { runs: this.#compactionRuns, journals: this.#compactedJournals, moved: this.#moved, superseded: this.#superseded, failures: this.maintenanceFailures },
      eviction: { journals: this.#evictedJournals, reinserted: this.#reinserted, evicted: this.#evicted },
      corruptions: this.corruptions,
      errors: { flush: this.flushFailures, maintenance: this.maintenanceFailures, lastCode: this.lastErrorCode },
    }
  }
}
