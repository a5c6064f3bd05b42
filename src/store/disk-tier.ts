import { checkEncodedKeyLength, checkKeyShape, checkWellFormed } from '../input-bytes.js'
import { FLAG_PURGE, FLAG_TOMBSTONE, MAX_KEY_BYTES } from '../journal/format.js'
import type { JournalDir, RecordLocation, StoredRecord } from '../journal/journal-dir.js'
import { hashKey } from '../key-hash.js'
import { Keydir } from '../keydir.js'
import { SpillwayError } from '../errors.js'
import { logPosition } from './follow.js'
import { JournalUsage } from './journal-usage.js'
import { retiredJournal, retiredMark } from './log-marks.js'
import type { ReadMarks } from './read-marks.js'
import { ReplayedRecords } from './replayed-records.js'
import type { TagIndex } from './tag-index.js'

/**
 * A key as the disk tier handles it: UTF-8 bytes in a scratch buffer and
 * their hash. One instance is reused by every operation; each operation uses
 * it before its first await.
 */
export class EncodedKey {
  readonly bytes = Buffer.allocUnsafeSlow(MAX_KEY_BYTES * 3)
  length = 0
  hash = 0
  #views: Uint8Array[] = []

  /** Checks `key` and encodes it; throws ERR_KEY_INVALID or ERR_KEY_TOO_LARGE. */
  encode(key: unknown): this {
    checkKeyShape(key)
    this.length = checkEncodedKeyLength(encodeUtf8(key, this.bytes))
    this.hash = hashKey(this.bytes, 0, this.length)
    return this
  }

  /** Takes key bytes as they are (from a record): already checked when first stored. */
  encodeBytes(key: Uint8Array): this {
    this.bytes.set(key, 0)
    this.length = key.byteLength
    this.hash = hashKey(this.bytes, 0, this.length)
    return this
  }

  /** The encoded key, as a view of the scratch bytes; one view per length, made once. */
  view(): Uint8Array {
    return (this.#views[this.length] ??= this.bytes.subarray(0, this.length))
  }

  matches(other: Uint8Array): boolean {
    const n = this.length
    if (other.byteLength !== n) return false
    const bytes = this.bytes
    for (let i = 0; i < n; i++) if (bytes[i] !== other[i]) return false
    return true
  }
}

/**
 * The disk tier: the keydir (hash → record location, in typed arrays) over
 * the journals. The keydir holds only hashes, so every hit is confirmed by
 * comparing the key stored in the record, and keys whose hashes collide each
 * keep a slot of their own.
 */
export class DiskTier {
  readonly journals: JournalDir
  readonly keydir = new Keydir()
  readonly usage = new JournalUsage()
  /** The record the last successful `find` confirmed. Its views are valid until the next disk read. */
  record: StoredRecord | undefined
  /**
   * When other processes may append to the directory: the log positions of
   * this process's appends not yet reached by its follower, which skips them
   * (they were applied when appended).
   */
  ownAppends: Set<number> | undefined
  /** Asked about each append of this process's own: true when the follower stepped over it. */
  skipOwn: ((at: RecordLocation) => boolean) | undefined
  /** Told of each tombstone this process appends, with its log position (see FollowedRecords). */
  onTombstone: ((key: Uint8Array, position: number) => void) | undefined
  /**
   * When other processes may append: returns once every claim before `at`
   * (other than `at` itself) is published and applied here, or its writer
   * is gone. Maintenance records are checked after it (moveSlot).
   */
  settle: ((at: RecordLocation) => boolean) | undefined
  /**
   * Set when a maintenance record was voided because the claims before it
   * did not settle in time: the drain must stop and leave its journal, or a
   * key whose move or tombstone was given up could lose its value or get an
   * older one back.
   */
  unsettled = false
  /** Every process's disk reads (read-marks.ts): a move that keeps the hit bit carries the record's mark along. */
  readMarks: ReadMarks | undefined
  #beforeRemove = new Set<(journalId: number) => void>()

  constructor(journals: JournalDir) {
    this.journals = journals
  }

  /**
   * The slot whose record holds `key` and has not expired, or -1. An expired
   * or unreadable record's slot is dropped on the way. `forValue: false` is
   * for a caller that only needs the slot (a write about to replace it): the
   * record's CRC is then not checked, since nothing of it is served.
   */
  find(key: EncodedKey, now: number, forValue = true): number {
    const keydir = this.keydir
    for (let slot = keydir.find(key.hash); slot >= 0; slot = keydir.findNext(key.hash, slot)) {
      const record = forValue
        ? this.journals.viewAt(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot))
        : this.journals.viewAt(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot), false)
      if (record === undefined) {
        // Reported as corrupt by the journals; never served. Forget it and look again.
        this.dropSlot(slot)
        return this.find(key, now, forValue)
      }
      if (!key.matches(record.key)) continue
      if (record.expiresAt !== 0 && record.expiresAt <= now) {
        // Like a delete: a record claimed before this one and published late must not bring the key back.
        this.onTombstone?.(key.view(), logPosition(keydir.journalId(slot), keydir.offset(slot)))
        this.dropSlot(slot)
        return -1
      }
      this.record = record
      return slot
    }
    return -1
  }

  /**
   * `find` for a read. The keydir's expiry hint is never earlier than its
   * record's expiry, so when every slot for the hash has passed its hint the
   * key holds nothing unexpired, and that is known without reading a record.
   * Those slots stay for the next write of the key, or compaction, to drop:
   * dropping one here would need its key, which is on disk.
   */
  findUnexpired(key: EncodedKey, now: number): number {
    const keydir = this.keydir
    for (let slot = keydir.find(key.hash); slot >= 0; slot = keydir.findNext(key.hash, slot)) {
      const hint = keydir.expiresAt(slot)
      if (hint === 0 || hint > now) return this.find(key, now)
    }
    return -1
  }

  /**
   * Appends a record for `key` and points its slot (found by the caller, or
   * -1) at it. Returns the new slot. `callerBytes` is the value's size as the
   * caller gave it, before compression and tags, for write amplification.
   */
  write(key: EncodedKey, slot: number, flags: number, bytes: Uint8Array, expiresAt: number, callerBytes: number): number {
    const at = this.journals.append(key.view(), bytes, { flags, expiresAt })
    if (this.ownAppends !== undefined) this.#noteOwn(at)
    this.usage.wrote(at.journalId, at.length)
    this.usage.appendedBytes += at.length
    this.usage.userBytes += key.length + callerBytes
    if (slot < 0) return this.keydir.insert(key.hash, at.journalId, at.offset, at.length, expiresAt)
    this.usage.died(this.keydir.journalId(slot), this.keydir.length(slot))
    this.keydir.update(slot, at.journalId, at.offset, at.length, expiresAt)
    return slot
  }

  /** Appends a record that carries no value of its own (a tombstone or a purge): dead from birth. */
  writeMarker(key: Uint8Array, flags: number): RecordLocation {
    const at = this.journals.append(key, new Uint8Array(0), { flags })
    if (this.ownAppends !== undefined) {
      this.#noteOwn(at)
      if ((flags & FLAG_TOMBSTONE) !== 0) this.onTombstone?.(key, logPosition(at.journalId, at.offset))
    }
    this.usage.wrote(at.journalId, at.length)
    this.usage.died(at.journalId, at.length)
    this.usage.appendedBytes += at.length
    return at
  }

  /** The slot whose record has exactly this key (or cannot be read), or -1. */
  slotOf(hash: number, key: Uint8Array): number {
    const keydir = this.keydir
    for (let slot = keydir.find(hash); slot >= 0; slot = keydir.findNext(hash, slot)) {
      const record = this.journals.viewAt(keydir.journalId(slot), keydir.offset(slot), keydir.length(slot))
      if (record === undefined || sameBytes(record.key, key)) return slot
    }
    return -1
  }

  /**
   * Re-appends the record in `slot` to the active journal with `flags` added
   * (a move keeps its write time, expiry and value bytes) and points the slot
   * there, keeping its hit bit if `keepHit`. Returns the bytes written, or 0
   * when the record could not be read (reported) and the slot was dropped,
   * or minus the bytes of a void record when a newer write of the key
   * settled first (see `settle`).
   */
  moveSlot(slot: number, flags: number, keepHit: boolean): number {
    const keydir = this.keydir
    const journalId = keydir.journalId(slot)
    const offset = keydir.offset(slot)
    const hash = keydir.hash(slot)
    const read = this.journals.viewAt(journalId, offset, keydir.length(slot))
    if (read === undefined) {
      this.dropSlot(slot)
      return 0
    }
    const wasHit = keydir.wasHit(slot)
    const fields = { flags: read.flags | flags, expiresAt: read.expiresAt, writeTime: read.writeTime }
    let at: RecordLocation
    if (this.settle === undefined) {
      at = this.journals.append(read.key, read.value, fields)
    } else {
      // Copies: settling applies other processes' records, which may remap the journal `read` views.
      const key = Uint8Array.from(read.key)
      const value = Uint8Array.from(read.value)
      at = this.#claimSettled(key.byteLength, value.byteLength)
      slot = this.unsettled ? -1 : slotAt(keydir, hash, journalId, offset)
      if (slot < 0) {
        // Another process wrote or deleted the key before this claim: the move would bring back an older value.
        this.journals.voidClaim(at)
        this.#wroteDead(at)
        return -at.length
      }
      this.journals.publishClaim(at, key, value, fields)
    }
    this.usage.wrote(at.journalId, at.length)
    this.usage.appendedBytes += at.length
    this.usage.died(keydir.journalId(slot), keydir.length(slot))
    keydir.update(slot, at.journalId, at.offset, at.length, fields.expiresAt)
    if (keepHit) {
      if (wasHit) keydir.markHit(slot)
      // Another process's read of the record is as much a read of its copy.
      if (this.readMarks?.take(journalId, offset) === true) this.readMarks.mark(at.journalId, at.offset)
    }
    return at.length
  }

  /**
   * Appends a tombstone for `key` if, once every earlier claim is settled,
   * `stillWanted()` says so; returns the bytes appended (a void record's
   * when not), and whether the tombstone was written.
   */
  writeTombstoneIf(key: Uint8Array, stillWanted: () => boolean): { bytes: number; written: boolean } {
    if (this.settle === undefined) {
      if (!stillWanted()) return { bytes: 0, written: false }
      return { bytes: this.writeMarker(key, FLAG_TOMBSTONE).length, written: true }
    }
    if (!stillWanted()) return { bytes: 0, written: false }
    const at = this.#claimSettled(key.byteLength, 0)
    if (this.unsettled || !stillWanted()) {
      this.journals.voidClaim(at)
      this.#wroteDead(at)
      return { bytes: at.length, written: false }
    }
    this.journals.publishClaim(at, key, new Uint8Array(0), { flags: FLAG_TOMBSTONE })
    this.onTombstone?.(key, logPosition(at.journalId, at.offset))
    this.#wroteDead(at)
    return { bytes: at.length, written: true }
  }

  /**
   * Claims room for a maintenance record and waits, in this turn, until
   * every claim before it is published or its writer gone, and applied
   * here: the check that follows then sees every write that replay will put
   * before this record (issue 11, part 5).
   */
  #claimSettled(keyLength: number, valueLength: number): RecordLocation {
    const at = this.journals.claim(keyLength, valueLength)
    if (this.ownAppends !== undefined) this.#noteOwn(at)
    if (!this.settle!(at)) this.unsettled = true
    return at
  }

  /**
   * An append of this process's own, applied here already: the follower
   * steps over it when it is next in the log (the common case, which saves
   * reading it back), else skips it when it gets there.
   */
  #noteOwn(at: RecordLocation): void {
    if (this.skipOwn?.(at) !== true) this.ownAppends!.add(logPosition(at.journalId, at.offset))
  }

  #wroteDead(at: RecordLocation): void {
    this.usage.wrote(at.journalId, at.length)
    this.usage.died(at.journalId, at.length)
    this.usage.appendedBytes += at.length
  }

  /**
   * Calls `listener` with a journal's id just before the journal is removed,
   * while its records can still be read; returns the function that stops it.
   */
  onBeforeRemove(listener: (journalId: number) => void): () => void {
    this.#beforeRemove.add(listener)
    return () => this.#beforeRemove.delete(listener)
  }

  /** Tells the onBeforeRemove listeners that journal `journalId` is about to go. */
  beforeRemove(journalId: number): void {
    for (const listener of this.#beforeRemove) listener(journalId)
  }

  /**
   * Deletes a drained journal; see JournalDir.removeJournal. The removal is
   * announced in the log first (log-marks.ts), so every other process drops
   * its entries and mapping for it. On a full disk the announcement is
   * skipped and the file removed anyway: freeing space comes first, and a
   * process that still maps the unlinked file reads correct bytes from it.
   */
  removeJournal(journalId: number): Promise<void> {
    this.beforeRemove(journalId)
    try {
      this.writeMarker(retiredMark(journalId), FLAG_TOMBSTONE)
    } catch (err) {
      if (!(err instanceof SpillwayError && err.code === 'ERR_DISK_FULL')) throw err
    }
    return this.journals.removeJournal(journalId)
  }

  /** Forgets a slot, crediting its record's bytes as dead. Slot numbers of others may change. */
  dropSlot(slot: number): void {
    this.usage.died(this.keydir.journalId(slot), this.keydir.length(slot))
    this.keydir.remove(slot)
  }

  /**
   * Rebuilds the keydir and the tag index from the journals, oldest first, so
   * each key ends at its newest record. The records are gathered as they
   * are replayed and resolved afterwards in hash order (replayed-records.ts):
   * one keydir lookup a record, as they came, spent over half of an open at
   * 1 M keys in cache misses and growth rehashes. Records that share a hash
   * are confirmed by comparing their keys (reads of mapped journals), so an
   * overwrite replaces its key's record and a colliding key keeps its own.
   */
  rebuild(tags: TagIndex, now: number): number[] {
    const retired: number[] = []
    const records = new ReplayedRecords()
    this.journals.replay((e) => {
      this.usage.wrote(e.journalId, e.length)
      if (e.key[0] === 0xff) {
        // An internal record (log-marks.ts): a removal announced, whose file a crash may have left.
        const id = (e.flags & FLAG_TOMBSTONE) !== 0 ? retiredJournal(e.key) : undefined
        if (id !== undefined && this.journals.journal(id) !== undefined) retired.push(id)
        this.usage.died(e.journalId, e.length)
        return
      }
      // purgeTag writes a tombstone for each entry it invalidates; the purge record itself is a marker.
      if ((e.flags & FLAG_PURGE) !== 0) {
        this.usage.died(e.journalId, e.length)
        return
      }
      const gone = (e.flags & FLAG_TOMBSTONE) !== 0 || (e.expiresAt !== 0 && e.expiresAt <= now)
      records.add(hashKey(e.key, 0, e.key.byteLength), e, gone)
    })
    records.resolveInto(this.keydir, {
      died: (journalId, length) => this.usage.died(journalId, length),
      sameKey: (journalIdA, offsetA, lengthA, journalIdB, offsetB, lengthB) => {
        const a = this.journals.viewAt(journalIdA, offsetA, lengthA)
        if (a === undefined) return undefined
        // A copy: the next read may reuse the buffer a cold journal's read came in.
        const keyA = a.key.slice()
        const b = this.journals.viewAt(journalIdB, offsetB, lengthB)
        return b === undefined ? undefined : sameBytes(keyA, b.key)
      },
    }, (hash, block) => tags.addBlock(hash, block))
    return retired
  }
}

/**
 * UTF-8 encoding with a loop for ASCII, the common key, which beats a call
 * into the encoder; an ASCII key is well-formed, so only the others are
 * checked for lone surrogates.
 */
function encodeUtf8(key: string, into: Buffer): number {
  const n = key.length
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i)
    if (c >= 0x80) {
      checkWellFormed(key)
      return into.write(key, 0, 'utf8')
    }
    into[i] = c
  }
  return n
}

/** The slot of `hash` that points at the record at (`journalId`, `offset`), or -1. */
export function slotAt(keydir: Keydir, hash: number, journalId: number, offset: number): number {
  for (let slot = keydir.find(hash); slot >= 0; slot = keydir.findNext(hash, slot)) {
    if (keydir.journalId(slot) === journalId && keydir.offset(slot) === offset) return slot
  }
  return -1
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}
