import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { FLAG_MOVE, FLAG_PURGE, FLAG_TOMBSTONE } from '../journal/format.js'
import { HintCursor } from '../journal/hint-file.js'
import { hashKey } from '../key-hash.js'
import { EncodedKey, type DiskTier } from './disk-tier.js'

/** How a drain treats the live entries of the journal it empties. */
export interface DrainPlan {
  /** True to re-append the live entry in `slot` (its key is `key`) to the active journal; false to drop it. */
  keep(slot: number, key: Uint8Array): boolean
  /** Re-append tombstones whose key has no live entry: older journals may still hold what they cancel. */
  carryTombstones: boolean
  /** Whether a moved entry keeps its hit bit (compaction) or must be read again to count as hot (eviction). */
  keepHitBit: boolean
  /** Told of each entry dropped with the journal, with its tag block if it has one. */
  dropped?(key: Uint8Array, tags: Uint8Array | undefined): void
  /** Milliseconds of work between yields to the event loop; read before each entry, so a caller can hurry a drain. */
  sliceMs(): number
}

export interface DrainReport {
  journalId: number
  moved: number
  dropped: number
  carried: number
  /** Bytes re-appended (moves and carried tombstones). */
  written: number
}

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
  const report: DrainReport = { journalId, moved: 0, dropped: 0, carried: 0, written: 0 }
  const tombstones: Uint8Array[] = []
  let sliceStart = performance.now()
  for (const entry = new HintCursor(hint); entry.next();) {
    if (performance.now() - sliceStart >= plan.sliceMs()) {
      await yieldToEventLoop()
      if (disk.journals.journal(journalId) === undefined) return undefined
      sliceStart = performance.now()
    }
    if ((entry.flags & FLAG_TOMBSTONE) !== 0) {
      if (plan.carryTombstones) tombstones.push(Uint8Array.from(entry.key))
      continue
    }
    if ((entry.flags & FLAG_PURGE) !== 0) continue
    const slot = slotPointingAt(disk, hashKey(entry.key, 0, entry.key.byteLength), journalId, entry.offset)
    if (slot < 0) continue
    if (!plan.keep(slot, entry.key)) {
      disk.dropSlot(slot)
      plan.dropped?.(entry.key, entry.tags)
      report.dropped++
      continue
    }
    const bytes = disk.moveSlot(slot, FLAG_MOVE, plan.keepHitBit)
    if (bytes > 0) report.moved++
    report.written += bytes
  }
  // A tombstone appended after a newer write of its key would delete that write at the next replay:
  // carry only those whose key has no live entry.
  const key = new EncodedKey()
  for (const bytes of tombstones) {
    if (disk.find(key.encodeBytes(bytes), 0) >= 0) continue
    report.written += disk.writeMarker(bytes, FLAG_TOMBSTONE).length
    report.carried++
  }
  // The copies must be durable before the only other copy goes: a crash in between would lose both.
  await disk.journals.syncAsync()
  if (disk.journals.journal(journalId) === undefined) return undefined
  disk.usage.forget(journalId)
  await disk.journals.removeJournal(journalId)
  return report
}

function slotPointingAt(disk: DiskTier, hash: number, journalId: number, offset: number): number {
  const keydir = disk.keydir
  for (let slot = keydir.find(hash); slot >= 0; slot = keydir.findNext(hash, slot)) {
    if (keydir.journalId(slot) === journalId && keydir.offset(slot) === offset) return slot
  }
  return -1
}
