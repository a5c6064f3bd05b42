import path from 'node:path'
import { SpillwayError } from '../errors.js'
import type { CorruptionReport } from '../journal/corruption.js'
import { FLAG_PURGE, FLAG_TOMBSTONE, parseJournalFileName } from '../journal/format.js'
import type { JournalDir } from '../journal/journal-dir.js'
import { visitScanned } from '../journal/sidecars.js'
import { EncodedKey, type DiskTier } from './disk-tier.js'
import type { TagIndex } from './tag-index.js'

/**
 * Point-in-time recovery across journals. A journal replays only up to its
 * first damage ('point-in-time') or torn tail; the journals after it replay
 * whole. Left so, a key could come back with the
 * value it had before the damage while the keys around it hold values
 * written after: a state that never existed, and an older value made
 * visible again (DESIGN.md, "No older value may reappear").
 *
 * So the first place records were lost, in journal order, is the recovery
 * point, and every key with a readable record after it (later in that
 * journal, or in any later journal) is forgotten, with a tombstone appended
 * so it stays forgotten at the next open (when the damaged journal's
 * rewritten hint no longer shows the damage). Every key then holds the value
 * it held just before the point, or nothing. The one key this cannot cover
 * is the damaged record's own, which cannot be read.
 */
export class RecoveryPoint {
  #journalId = Infinity
  #offset = Infinity
  /** Whether readable records may follow the point in its own journal (passed over, not torn off). */
  #recordsFollow = false

  /**
   * Told of every report made while the directory opens and the keydir is
   * rebuilt. Only losses that the next open will not see again count: a scan
   * that stopped at damage rewrites the journal's hint without what it
   * dropped, so the next open replays the point and the tombstones after
   * it. A journal refused whole (a bad header, 'tolerate-tail' rejection) or
   * cut short is left untouched for inspection and refused again at every
   * open; forgetting what follows it each time would eat every later write,
   * so its keys are not covered (README, "Recovery").
   */
  note(report: CorruptionReport): void {
    if (report.reason !== 'dropped-after-corruption' && report.reason !== 'torn-tail') return
    const id = parseJournalFileName(path.basename(report.file))
    if (id === undefined) return
    // Not 'corrupt-record': a read reports that too (the keydir still names the record's key, and
    // compaction then hides older records); a scan that stops there reports what it dropped.
    this.#lower(id, report.offset, report.reason === 'dropped-after-corruption')
  }

  /**
   * After the rebuild: forgets every key with a record after the recovery
   * point and appends its tombstone. Returns how many keys were forgotten.
   */
  forgetAfter(disk: DiskTier, tags: TagIndex): number {
    const journals = disk.journals
    if (this.#journalId === Infinity) return 0
    const keys = new Map<string, Uint8Array>()
    const note = (key: Uint8Array, flags: number) => {
      if ((flags & FLAG_PURGE) !== 0) return
      const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
      if (!keys.has(id)) keys.set(id, Uint8Array.from(key))
    }
    for (const id of journals.journalIds()) {
      if (id < this.#journalId || (id === this.#journalId && !this.#recordsFollow)) continue
      const from = id === this.#journalId ? this.#offset : 0
      readableRecords(journals, id, (offset, key, flags) => {
        if (offset >= from) note(key, flags)
      })
    }
    const k = new EncodedKey()
    for (const bytes of keys.values()) {
      const slot = disk.find(k.encodeBytes(bytes), 0, false)
      if (slot >= 0) disk.dropSlot(slot)
      tags.deleteHeapOnly(Buffer.from(bytes).toString('utf8'))
    }
    try {
      for (const bytes of keys.values()) disk.writeMarker(bytes, FLAG_TOMBSTONE)
    } catch (err) {
      // On a full disk the keys stay forgotten in this process only; the next open recovers the same way again.
      if (!(err instanceof SpillwayError && err.code === 'ERR_DISK_FULL')) throw err
    }
    return keys.size
  }

  #lower(journalId: number, offset: number, recordsFollow: boolean): void {
    if (journalId > this.#journalId || (journalId === this.#journalId && offset >= this.#offset)) return
    this.#journalId = journalId
    this.#offset = offset
    this.#recordsFollow = recordsFollow
  }
}

/** Every record of a journal a salvage scan can read, damage or not: the widest net for keys to forget. */
function readableRecords(journals: JournalDir, id: number, visit: (offset: number, key: Uint8Array, flags: number) => void): void {
  const journal = journals.journal(id)
  if (journal === undefined) return
  const { view, result } = journal.scan('salvage', () => {})
  visitScanned(id, view, result.offsets, (entry) => visit(entry.offset, entry.key, entry.flags))
}
