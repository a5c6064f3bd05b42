import type { DiskTier } from './disk-tier.js'

/** One journal as `Store.journalStats()` describes it. */
export interface JournalStats {
  /** The journal's id: its file is `<id as 8 digits>.journal`. */
  id: number
  /**
   * 'active': the one appends go to; 'sealed': full, kept mapped; 'cold':
   * full, unmapped by `maxMappedBytes` and read with pread.
   */
  state: 'active' | 'sealed' | 'cold'
  /** The file's size: journals are created at their full size. */
  bytes: number
  /** Bytes claimed so far (header included): where the next append starts, at most `bytes`. */
  usedBytes: number
  /** Share of the bytes written to it that nothing can read any more (overwritten, deleted, expired). */
  deadRatio: number
}

/** The journals of a disk tier, oldest first. */
export function journalStatsOf(disk: DiskTier): JournalStats[] {
  const { journals, usage } = disk
  const active = journals.activeJournalId()
  const stats: JournalStats[] = []
  for (const id of journals.journalIds()) {
    const journal = journals.journal(id)
    if (journal === undefined) continue
    stats.push({
      id,
      state: id === active ? 'active' : journal.mapped ? 'sealed' : 'cold',
      bytes: journal.capacity,
      usedBytes: Math.min(journal.tail, journal.capacity),
      deadRatio: usage.deadRatio(id),
    })
  }
  return stats
}
