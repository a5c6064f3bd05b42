import { FLAG_PURGE, FLAG_TAGGED, FLAG_TOMBSTONE } from '../journal/format.js'
import { decodeRecord, type ByteView } from '../journal/record.js'
import { hashKey } from '../key-hash.js'
import type { DiskTier } from './disk-tier.js'
import { logPosition } from './follow.js'
import type { HeapTier } from './heap-tier.js'
import { isInternalKey, retiredJournal } from './log-marks.js'
import { decodeValue } from './stored-value.js'
import { tagBlockOf, type TagIndex } from './tag-index.js'
import { otherCarries, tagBlockAt } from './tag-purge.js'

/**
 * Applies records other processes appended (see Follower) to this process's
 * keydir, tag index and heap tier. The version of an entry is its record's
 * log position (journal id, offset): a record takes effect only when it is
 * newer than the entry its key has here. So a record applied late (a claim
 * published after records claimed after it) never undoes a newer write, and
 * this process's own writes, applied at once, are not undone when the
 * follower reaches them.
 *
 * "No entry" is ambiguous: a key deleted at position t has none, and a set
 * claimed before t but published after it must not bring the key back. So
 * each tombstone's position is kept (a floor) until every record before it
 * has been applied.
 */
export class FollowedRecords {
  #disk: DiskTier
  #heap: HeapTier
  #tags: TagIndex
  #now: () => number
  #retired: (journalId: number) => void
  /** The follower's: the log position below which every record has been applied. */
  settledPosition: () => number = () => 0
  /** Key bytes (latin1) → log position of the newest tombstone of the key not yet settled. */
  #floors = new Map<string, number>()

  constructor(disk: DiskTier, heap: HeapTier, tags: TagIndex, now: () => number, retired: (journalId: number) => void) {
    this.#disk = disk
    this.#heap = heap
    this.#tags = tags
    this.#now = now
    this.#retired = retired
  }

  /** A tombstone this process appended, or applied: no older record of the key may bring it back. */
  noteTombstone(key: Uint8Array, position: number): void {
    // Every record before it is applied already: nothing can arrive late to be held off.
    if (position < this.settledPosition()) return
    const id = keyId(key)
    const floor = this.#floors.get(id)
    if (floor === undefined || floor < position) this.#floors.set(id, position)
  }

  /** Every record below `position` has been applied: floors below it have done their work. */
  settle(position: number): void {
    if (this.#floors.size === 0) return
    for (const [id, floor] of this.#floors) if (floor < position) this.#floors.delete(id)
  }

  get floors(): number {
    return this.#floors.size
  }

  apply(journalId: number, offset: number, view: ByteView): void {
    const disk = this.#disk
    const position = logPosition(journalId, offset)
    // This process's own record, applied when it was appended.
    if (disk.ownAppends?.delete(position) === true) return
    const info = decodeRecord(view, offset)
    // Copies: applying reads other records, which may remap the journal `view` shows.
    const key = Buffer.from(view.u8.subarray(info.keyOffset, info.keyOffset + info.keyLength))
    const { usage, keydir } = disk
    usage.wrote(journalId, info.length)
    if ((info.flags & FLAG_PURGE) !== 0 || isInternalKey(key)) {
      usage.died(journalId, info.length)
      if ((info.flags & FLAG_PURGE) !== 0 && !isInternalKey(key)) this.#purgeHeapOnly(key.toString('utf8'))
      const retired = (info.flags & FLAG_TOMBSTONE) !== 0 ? retiredJournal(key) : undefined
      if (retired !== undefined) this.#retired(retired)
      return
    }
    const tagBlock = (info.flags & FLAG_TAGGED) === 0 ? undefined
      : tagBlockOf(info.flags, view.u8.subarray(info.valueOffset, info.valueOffset + info.valueLength))?.slice()
    const tombstone = (info.flags & FLAG_TOMBSTONE) !== 0
    const gone = tombstone || (info.expiresAt !== 0 && info.expiresAt <= this.#now())
    const name = key.toString('utf8')
    // A value this process's heap tier holds is replaced by the new one, as a write here replaces it
    // (Store.set), rather than dropped: a key hot in every process stays in every heap tier, instead of
    // costing each of them two disk reads after each write elsewhere. Decoded now, while `view` is valid.
    const replacement = !gone && this.#heap.peek(name) !== undefined
      ? decodeValue(view.u8.subarray(info.valueOffset, info.valueOffset + info.valueLength), info.flags) : undefined
    const hash = hashKey(key, 0, key.byteLength)
    const slot = disk.slotOf(hash, key)
    const current = slot >= 0 ? logPosition(keydir.journalId(slot), keydir.offset(slot)) : this.#floors.get(keyId(key))
    if (current !== undefined && current >= position) {
      // Superseded here already: by a newer record, or a newer delete.
      usage.died(journalId, info.length)
      return
    }
    if (slot >= 0) {
      this.#tags.removeBlock(hash, tagBlockAt(disk, slot), (tag) => otherCarries(disk, hash, tag, slot))
      usage.died(keydir.journalId(slot), keydir.length(slot))
      if (gone) keydir.remove(slot)
      else keydir.update(slot, journalId, offset, info.length, info.expiresAt)
    } else if (!gone) {
      keydir.insert(hash, journalId, offset, info.length, info.expiresAt)
    }
    if (gone) usage.died(journalId, info.length)
    else if (tagBlock !== undefined) this.#tags.addBlock(hash, tagBlock)
    if (tombstone) this.noteTombstone(key, position)
    // Another process wrote or deleted the key after this one's copy in the heap tier was made.
    if (replacement !== undefined) this.#heap.set(name, replacement, info.expiresAt, false)
    else this.#heap.delete(name)
    this.#tags.deleteHeapOnly(name)
  }

  /**
   * Another process removed a journal: every entry that still points into
   * it was evicted (its live entries were moved first), and leaves this
   * process's keydir, tag index and heap tier too.
   */
  dropJournal(journalId: number): void {
    const disk = this.#disk
    const keydir = disk.keydir
    const doomed: number[] = []
    keydir.forEach((slot) => {
      if (keydir.journalId(slot) === journalId) doomed.push(keydir.hash(slot), keydir.offset(slot))
    })
    for (let i = 0; i < doomed.length; i += 2) {
      const hash = doomed[i]
      let slot = keydir.find(hash)
      while (slot >= 0 && !(keydir.journalId(slot) === journalId && keydir.offset(slot) === doomed[i + 1])) slot = keydir.findNext(hash, slot)
      if (slot < 0) continue
      const record = disk.journals.viewAt(journalId, keydir.offset(slot), keydir.length(slot), false)
      if (record !== undefined) {
        const name = Buffer.from(record.key).toString('utf8')
        const block = tagBlockOf(record.flags, record.value)?.slice()
        this.#heap.delete(name)
        disk.dropSlot(slot)
        this.#tags.removeBlock(hash, block, (tag) => otherCarries(disk, hash, tag, -1))
      } else {
        disk.dropSlot(slot)
      }
    }
    disk.usage.forget(journalId)
  }

  #purgeHeapOnly(tag: string): void {
    for (const key of this.#tags.heapOnlyWith(tag)) {
      this.#tags.deleteHeapOnly(key)
      if (this.#heap.peek(key)?.heapOnly === true) this.#heap.delete(key)
    }
  }
}

function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1')
}
