import { slotAt, type DiskTier } from './disk-tier.js'
import { drainJournal } from './journal-drain.js'
import type { ReadMarks } from './read-marks.js'

export interface EvictionReport {
  journalId: number
  /** Entries read since they were written, re-appended to the active journal. */
  reinserted: number
  /** Entries dropped with the journal. */
  evicted: number
}

/**
 * At most this share of an evicted journal is written again, so each
 * eviction frees at least the rest, even when everything in it looks hot (a
 * heap tier larger than the disk budget holds every entry of the journal).
 */
const MAX_REINSERT_SHARE = 0.5

/**
 * Keeps the journals within `maxDiskBytes` by deleting the oldest sealed
 * journal whole, as CacheLib's large-item engine does. It evicts down to one
 * journal below the budget, so the next journal to open lands at the budget,
 * not past it. First, the entries read
 * since they were written are re-appended to the active journal, so hot
 * entries survive and cold ones leave. A read served by the disk tier sets the
 * keydir's hit bit; one served by the heap tier does not touch the keydir
 * (that would slow every hot read), so `isHot` is asked about the rest;
 * `dropped` learns of each entry that leaves. `readMarks` hold the disk reads
 * of every process with the directory open, this one's included. The drain yields between slices of
 * `sliceMs()`; the caller makes that Infinity once a second journal over
 * budget appears, so usage never passes the budget by more than one journal.
 */
export async function enforceDiskBudget(disk: DiskTier, maxDiskBytes: number, sliceMs: () => number,
  isHot: (key: Uint8Array) => boolean, dropped: (key: Uint8Array, tags: Uint8Array | undefined) => void, readMarks?: ReadMarks): Promise<EvictionReport[]> {
  const reports: EvictionReport[] = []
  const journals = disk.journals
  // Reinsertion may fill a journal of its own; it is capped, but never loop past every journal.
  const target = (journalBytes: number) => maxDiskBytes - journalBytes
  for (let rounds = journals.journalIds().length; rounds > 0 && journals.diskBytes() > target(disk.journals.journalBytes); rounds--) {
    const victim = journals.journalIds().find((id) => id !== journals.activeJournalId())
    if (victim === undefined) break
    const budget = (journals.journal(victim)?.capacity ?? 0) * MAX_REINSERT_SHARE
    let reinsertedBytes = 0
    // Kept entries whose mark this drain took, by hash and offset.
    const markTaken: number[] = []
    const keep = (slot: number, key: Uint8Array): boolean => {
      const length = disk.keydir.length(slot)
      // Taken whatever the outcome: a mark left behind would outlive its journal.
      const readElsewhere = readMarks?.take(victim, disk.keydir.offset(slot)) === true
      if (reinsertedBytes + length > budget || !(disk.keydir.wasHit(slot) || readElsewhere || isHot(key))) return false
      reinsertedBytes += length
      if (readElsewhere) markTaken.push(disk.keydir.hash(slot), disk.keydir.offset(slot))
      return true
    }
    // The oldest journal: nothing older can hold what its tombstones cancel.
    const drained = await drainJournal(disk, victim, { keep, dropped, carryTombstones: false, keepHitBit: false, sliceMs })
    if (drained !== undefined) {
      reports.push({ journalId: victim, reinserted: drained.moved, evicted: drained.dropped })
    } else if (readMarks !== undefined && disk.journals.journal(victim) !== undefined) {
      // Given up with the journal left whole (its claims did not settle): an entry kept but not
      // moved is still read elsewhere, and without its mark the next turn would evict it.
      for (let i = 0; i < markTaken.length; i += 2) {
        if (slotAt(disk.keydir, markTaken[i], victim, markTaken[i + 1]) >= 0) readMarks.mark(victim, markTaken[i + 1])
      }
    }
  }
  return reports
}
