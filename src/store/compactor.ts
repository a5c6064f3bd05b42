import type { DiskTier } from './disk-tier.js'
import { drainJournal } from './journal-drain.js'

export interface CompactionReport {
  /** Journals compacted and deleted. */
  journals: number[]
  /** Live records re-appended as moves. */
  moved: number
  /** Tombstones carried forward because older journals may still hold the records they cancel. */
  carried: number
  /** Live records not moved because a write or delete replaced them while the compaction ran. */
  superseded: number
  /** Disk bytes given back: the compacted journals, less what was re-appended. */
  reclaimedBytes: number
  /**
   * Set when another process sharing the directory held the maintenance
   * lease, so this call compacted nothing: that process is compacting or
   * evicting now. Absent when the compaction ran.
   */
  leaseHeld?: true
}

/** Told after each journal a compaction has dealt with (compacted, or passed over): `done` of `total`. */
export type CompactionProgress = (done: number, total: number) => void

/** Sealed journals at least `start` dead; once one qualifies, those at least `sweep` dead join it (Bitcask's merge triggers). */
export function compactionCandidates(disk: DiskTier, start: number, sweep: number): number[] {
  const { journals, usage } = disk
  const sealed = journals.journalIds().filter((id) => id !== journals.activeJournalId())
  if (!sealed.some((id) => usage.deadRatio(id) >= start)) return []
  return sealed.filter((id) => usage.deadRatio(id) >= sweep)
}

/**
 * Rewrites the journals `ids` (Bitcask's merge): each journal's live records
 * are re-appended as moves and the journal is deleted. The work is drained in
 * slices of `sliceMs`, yielding between them, so requests never wait long;
 * once `stopped()` says so, at the next yield, the journal under way is
 * left whole and the rest are not begun.
 */
export async function compact(disk: DiskTier, ids: number[], sliceMs: number, stopped: () => boolean = () => false,
  onProgress?: CompactionProgress): Promise<CompactionReport> {
  const report: CompactionReport = { journals: [], moved: 0, carried: 0, superseded: 0, reclaimedBytes: 0 }
  for (const [done, id] of ids.entries()) {
    if (done > 0) onProgress?.(done, ids.length)
    if (stopped()) break
    const capacity = disk.journals.journal(id)?.capacity
    if (capacity === undefined) continue
    const older = disk.journals.journalIds().some((other) => other < id)
    const drained = await drainJournal(disk, id, { keep: () => true, carryTombstones: older, keepHitBit: true, sliceMs: () => sliceMs, stopped })
    if (drained === undefined) continue
    report.journals.push(id)
    report.moved += drained.moved
    report.carried += drained.carried
    report.superseded += drained.superseded
    report.reclaimedBytes += capacity - drained.written
  }
  if (!stopped()) onProgress?.(ids.length, ids.length)
  return report
}
