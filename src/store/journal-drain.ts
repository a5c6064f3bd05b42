import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { FLAG_MOVE, FLAG_PURGE, FLAG_TOMBSTONE } from '../journal/format.js'
import { HintCursor } from '../journal/hint-file.js'
import { hashKey } from '../key-hash.js'
import { EncodedKey, slotAt, type DiskTier } from './disk-tier.js'

/** How a drain treats the live entries of the journal it empties. */
export interface DrainPlan {
  /** True to re-append the live entry in `slot` (its key is `key`) to the active journal; false to drop it. */
  keep(slot: number, key: Uint8Array): boolean
  /**
   * Older journals may still hold records of this journal's keys: append a
   * tombstone for each key it holds a record of and that has no live entry
   * now (deleted, expired, or its newest record damaged), so that no older
   * record of it becomes visible once this journal is gone.
   */
  carryTombstones: boolean
  /** Whether a moved entry keeps its hit bit (compaction) or must be read again to count as hot (eviction). */
  keepHitBit: boolean
  /** Told of each entry dropped with the journal, with its tag block if it has one. */
  dropped?(key: Uint8Array, tags: Uint8Array | undefined): void
  /** Milliseconds of work between yields to the event loop; read before each entry, so a caller can hurry a drain. */
  sliceMs(): number
  /**
   * Checked after each yield: true gives the drain up there, leaving the
   * journal whole (a compaction's moved records are then duplicates their
   * copies supersede). @default never
   */
  stopped?(): boolean
}

export interface DrainReport {
  journalId: number
  moved: number
  dropped: number
  carried: number
  /** Live entries not moved because a newer write replaced them while the drain ran (the race guard). */
  superseded: number
  /** Bytes re-appended (moves and carried tombstones). */
  written: number
}

/**
 * A test seam, not API: when set, every drain awaits it before each entry of
 * its hint and before each carried tombstone, so a test can interleave
 * writes with the moves deterministically instead of hoping for a slice
 * boundary.
 */
export const drainStepHook: { beforeStep?: (journalId: number, step: 'entry' | 'tombstone') => Promise<void> | void } = {}

/**
 * Empties a sealed journal and deletes it: the shared core of compaction and
 * disk-budget eviction. It walks the journal's own hint, not the keydir: the
 * journal's records are fixed once sealed, and every slot that points into
 * it names one of them, so the walk can pause between entries while the
 * keydir keeps changing. An entry is moved only while its slot still points
 * here, so a write that lands mid-drain always wins. Resolves undefined when
 * the journal was deleted by someone else meanwhile.
 */
export async function drainJournal(disk: DiskTier, journalId: number, plan: DrainPlan): Promise<DrainReport | undefined> {
  const hint = await disk.journals.hint(journalId)
  if (hint === undefined) return undefined
  const report: DrainReport = { journalId, moved: 0, dropped: 0, carried: 0, superseded: 0, written: 0 }
  // Keys this journal holds a record of that may have no live entry once it is gone, by their bytes.
  const unsettled = new Map<string, Uint8Array>()
  const noteUnsettled = (key: Uint8Array) => {
    if (!plan.carryTombstones) return
    const id = Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
    if (!unsettled.has(id)) unsettled.set(id, Uint8Array.from(key))
  }
  const pause = pacer(disk, journalId, plan, 'entry')
  disk.unsettled = false
  const liveAtStart = liveEntriesIn(disk, journalId)
  for (const entry = new HintCursor(hint); entry.next();) {
    if (!(await pause())) return undefined
    if ((entry.flags & FLAG_PURGE) !== 0) continue
    if ((entry.flags & FLAG_TOMBSTONE) !== 0) {
      noteUnsettled(entry.key)
      continue
    }
    const slot = slotAt(disk.keydir, hashKey(entry.key, 0, entry.key.byteLength), journalId, entry.offset)
    if (slot < 0) {
      // Overwritten, deleted, expired or found damaged: whatever replaced it must outlive this journal.
      noteUnsettled(entry.key)
      continue
    }
    if (!plan.keep(slot, entry.key)) {
      disk.dropSlot(slot)
      plan.dropped?.(entry.key, entry.tags)
      report.dropped++
      continue
    }
    const bytes = disk.moveSlot(slot, FLAG_MOVE, plan.keepHitBit)
    // Claims before the move did not settle in time: leave the journal whole for a later turn.
    if (disk.unsettled) return undefined
    if (bytes > 0) report.moved++
    else noteUnsettled(entry.key)
    report.written += Math.abs(bytes)
  }
  // Live when the drain began, neither moved nor dropped: a write or delete got there first.
  report.superseded = liveAtStart - report.moved - report.dropped
  // A tombstone appended after a newer write of its key would delete that write at the next replay:
  // carry one only for a key with no live entry, checked in the same turn as the append, once every
  // claim before the tombstone's is settled (DiskTier.writeTombstoneIf).
  const key = new EncodedKey()
  const pauseBeforeTombstone = pacer(disk, journalId, plan, 'tombstone')
  for (const bytes of unsettled.values()) {
    if (!(await pauseBeforeTombstone())) return undefined
    // The key's live record need not pass its CRC here: if it is damaged, it still hides older
    // records until its own journal is drained, which then carries a tombstone for it.
    const carried = disk.writeTombstoneIf(bytes, () => disk.find(key.encodeBytes(bytes), 0, false) < 0)
    if (disk.unsettled) return undefined
    report.written += carried.bytes
    if (carried.written) report.carried++
  }
  // The copies must be durable before the only other copy goes: a crash in between would lose both.
  await disk.journals.syncAsync()
  if (disk.journals.journal(journalId) === undefined) return undefined
  disk.usage.forget(journalId)
  await disk.removeJournal(journalId)
  return report
}

/**
 * Resolves before each step of a drain: at once within a slice of
 * `plan.sliceMs()`, after a turn of the event loop between slices. False
 * when the journal was deleted meanwhile.
 */
function pacer(disk: DiskTier, journalId: number, plan: DrainPlan, step: 'entry' | 'tombstone'): () => Promise<boolean> {
  let sliceStart = performance.now()
  return async () => {
    const hook = drainStepHook.beforeStep
    if (hook !== undefined) await hook(journalId, step)
    else if (performance.now() - sliceStart >= plan.sliceMs()) {
      await yieldToEventLoop()
      sliceStart = performance.now()
    } else {
      return true
    }
    return plan.stopped?.() !== true && disk.journals.journal(journalId) !== undefined
  }
}

function liveEntriesIn(disk: DiskTier, journalId: number): number {
  const keydir = disk.keydir
  let live = 0
  keydir.forEach((slot) => {
    if (keydir.journalId(slot) === journalId) live++
  })
  return live
}
