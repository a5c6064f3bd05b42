import path from 'node:path'
import { SpillwayError } from '../errors.js'
import type { CorruptionReport } from '../journal/corruption.js'
import { FLAG_PURGE, FLAG_TOMBSTONE, parseJournalFileName } from '../journal/format.js'
import type { JournalDir } from '../journal/journal-dir.js'
import { visitScanned } from '../journal/sidecars.js'
import { EncodedKey, type DiskTier } from './disk-tier.js'
import type { TagIndex } from './tag-index.js'

/**
 * A test seam, not API: when set, called before the tombstone of each key a
 * recovery forgets is appended, so a test can have another process write
 * that key at that exact moment instead of hoping for it.
 */
export const recoveryStepHook: { beforeTombstone?: (key: Uint8Array) => void } = {}

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
 * so it stays forgotten at the next open, and a mark after those tombstones
 * (see RECOVERED) so the next open, which finds the same point again, keeps
 * what was written after the recovery. Every key then holds the value
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
   * rebuilt. Only losses at a point that later opens replay up to count: a
   * scan that stopped at damage or a torn tail, so the next open replays the
   * point, the tombstones after it and the recovery's mark. A journal refused whole (a bad header, 'tolerate-tail' rejection) or
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
    let covered = false
    const note = (key: Uint8Array, flags: number) => {
      if (covered || (flags & FLAG_PURGE) !== 0) return
      const point = markedPoint(key)
      if (point !== undefined) {
        // An earlier recovery at this point or before it forgot every key up to here: what follows
        // was written after it, and is kept.
        if (point[0] < this.#journalId || (point[0] === this.#journalId && point[1] <= this.#offset)) {
          covered = true
          keys.clear()
        }
        return
      }
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
      // In a shared directory another process may write a forgotten key at any time: a tombstone that
      // lands after its newer write would delete it at the next replay. So each tombstone is claimed,
      // every claim before it settled and applied here, and it is written only if the key still has no
      // live entry (its slots were all dropped above: one now is a write this rebuild did not see).
      disk.unsettled = false
      let left = 0
      for (const bytes of keys.values()) {
        recoveryStepHook.beforeTombstone?.(bytes)
        const { written } = disk.writeTombstoneIf(bytes, () => disk.find(k.encodeBytes(bytes), 0, false) < 0)
        if (!written && disk.unsettled) left++
        disk.unsettled = false
      }
      // Without every tombstone, no mark: the next open then finds the same point and forgets again.
      if (!covered && left === 0) disk.writeMarker(recoveredAt(this.#journalId, this.#offset), FLAG_TOMBSTONE)
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

/**
 * The mark a recovery leaves after its tombstones: a tombstone whose key is
 * 0xFF, "recovered:", then the point's journal id and offset. No store key
 * can have these bytes (keys are well-formed UTF-8, where 0xFF never
 * occurs), and nothing is ever stored under it. A journal damaged before its
 * tail gets no hint, so every later open finds the same point again: the
 * mark tells it which records were written after the recovery, and so must
 * not be forgotten. A compaction that moves the mark puts it later, after
 * more records written since, which it then covers too.
 */
const RECOVERED = Buffer.from('\xffrecovered:', 'latin1')

function recoveredAt(journalId: number, offset: number): Buffer {
  return Buffer.concat([RECOVERED, Buffer.from(`${journalId}:${offset}`, 'latin1')])
}

/** The point a recovery mark names, or undefined for any other key. */
function markedPoint(key: Uint8Array): [number, number] | undefined {
  if (key.byteLength <= RECOVERED.byteLength || key[0] !== 0xff || !RECOVERED.equals(key.subarray(0, RECOVERED.byteLength))) return undefined
  const [journalId, offset] = Buffer.from(key.subarray(RECOVERED.byteLength)).toString('latin1').split(':').map(Number)
  return Number.isSafeInteger(journalId) && Number.isSafeInteger(offset) ? [journalId, offset] : undefined
}

/** Every record of a journal a salvage scan can read, damage or not: the widest net for keys to forget. */
function readableRecords(journals: JournalDir, id: number, visit: (offset: number, key: Uint8Array, flags: number) => void): void {
  const journal = journals.journal(id)
  if (journal === undefined) return
  const { view, result } = journal.scan('salvage', () => {})
  visitScanned(id, view, result.offsets, (entry) => visit(entry.offset, entry.key, entry.flags))
}
