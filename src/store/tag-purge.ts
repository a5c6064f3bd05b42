import { FLAG_TOMBSTONE } from '../journal/format.js'
import type { DiskTier } from './disk-tier.js'
import type { HeapTier } from './heap-tier.js'
import { blockHasTag, blockHasTagHash, tagBlockOf, tagHash, type TagIndex } from './tag-index.js'

/**
 * Whether an entry on disk other than the one in `exceptSlot` (-1 for none)
 * has the key hash `keyHash` and carries a tag hashing to `hash`: then the
 * posting (hash, keyHash) must stay. Without a key-hash collision the keydir
 * holds no other slot for the hash, and nothing is read.
 */
export function otherCarries(disk: DiskTier, keyHash: number, hash: number, exceptSlot: number): boolean {
  const keydir = disk.keydir
  for (let slot = keydir.find(keyHash); slot >= 0; slot = keydir.findNext(keyHash, slot)) {
    if (slot === exceptSlot) continue
    const record = disk.journals.viewAt(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot), false)
    const block = record === undefined ? undefined : tagBlockOf(record.flags, record.value)
    if (block !== undefined && blockHasTagHash(block, hash)) return true
  }
  return false
}

/** The tag block of the record in `slot`, copied (a later append may remap its journal), or undefined. */
export function tagBlockAt(disk: DiskTier, slot: number): Uint8Array | undefined {
  const keydir = disk.keydir
  const record = disk.journals.viewAt(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot), false)
  return record === undefined ? undefined : tagBlockOf(record.flags, record.value)?.slice()
}

/**
 * Sealed journals' records up to this size are read with pread during a
 * purge (JournalDir.scatteredViewAt); larger ones are viewed in the mapping,
 * where the copy would cost more than the page faults.
 */
const SCRATCH_BYTES = 16 * 1024

/**
 * Invalidates every entry carrying `tag`: O(k) for a tag with k postings,
 * plus the postings' own search (see TagPostings). Each candidate's record is
 * read and its tag block checked, since postings hold only hashes; each entry
 * that carries the tag loses its slot and its heap-tier copy, and gets a
 * tombstone so the purge outlives a restart. Returns how
 * many unexpired entries it invalidated. The caller appends the purge marker.
 */
export function purgeTagged(disk: DiskTier, heap: HeapTier, index: TagIndex, tag: string, now: number): number {
  const tagBytes = Buffer.from(tag, 'utf8')
  const hash = tagHash(tagBytes)
  const keydir = disk.keydir
  const scratch = Buffer.allocUnsafe(SCRATCH_BYTES)
  let purged = 0
  for (const keyHash of index.postings.take(hash)) {
    let keepPosting = false
    let slot = keydir.find(keyHash)
    while (slot >= 0) {
      // Without the CRC over the value: only the key and tag block are used, and a damaged record
      // is never served (reads check it), so purging or keeping it by mistake changes nothing seen.
      const record = disk.journals.scatteredViewAt(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot), false, scratch)
      if (record === undefined) {
        // Reported as corrupt by the journals and never served: forget it, as a read does.
        disk.dropSlot(slot)
        slot = sameHashAt(disk, keyHash, slot)
        continue
      }
      const block = tagBlockOf(record.flags, record.value)
      if (block === undefined || !blockHasTag(block, tagBytes)) {
        if (block !== undefined && blockHasTagHash(block, hash)) keepPosting = true
        slot = keydir.findNext(keyHash, slot)
        continue
      }
      // A copy: the tombstone's append may remap the journal the record's views point into, and the
      // next read overwrites the scratch buffer.
      const key = Buffer.from(record.key)
      if (record.expiresAt === 0 || record.expiresAt > now) purged++
      if (heap.entries > 0) heap.delete(key.toString('utf8'))
      // The entry's postings under its other tags are left to the next merge of their runs, which
      // drops postings of key hashes gone from the keydir: the purge stays O(k), one read and one append each.
      disk.dropSlot(slot)
      disk.writeMarker(key, FLAG_TOMBSTONE)
      // A removal shifts the next entry with the same hash back into this slot.
      slot = sameHashAt(disk, keyHash, slot)
    }
    if (keepPosting) index.postings.add(hash, keyHash)
  }
  for (const key of index.heapOnlyWith(tag)) {
    const entry = heap.peek(key)
    index.deleteHeapOnly(key)
    if (entry === undefined || !entry.heapOnly) continue
    heap.delete(key)
    if (entry.expiresAt === 0 || entry.expiresAt > now) purged++
  }
  return purged
}

/** `slot` if, after a removal there, it holds an entry with `keyHash` again; else -1. */
function sameHashAt(disk: DiskTier, keyHash: number, slot: number): number {
  const keydir = disk.keydir
  return keydir.journalId(slot) !== 0 && keydir.hash(slot) === keyHash ? slot : -1
}
