import fs from 'node:fs'
import path from 'node:path'
import { isSystemError, SpillwayError, translateWriteError } from '../errors.js'
import { keyByteLength, valueBytes } from '../input-bytes.js'
import type { BackendName, MappingApi } from '../native.js'
import type { BloomFilter } from '../bloom-filter.js'
import type { CorruptionHandler, RecoveryMode } from './corruption.js'
import { checkJournalDirOptions, type JournalDirOptions } from './journal-dir-options.js'
import { bloomFileName, FLAG_PURGE, HEADER_BYTES, hintFileName, journalFileName } from './format.js'
import { SEALED_HERE, type Journal } from './journal.js'
import { JournalFollowing, type PendingClaim } from './journal-following.js'
import { journalIdsIn, openJournalOrPassOver } from './journal-opening.js'
import { JournalRotation } from './journal-rotation.js'
import { MappingPolicy } from './mapping-policy.js'
import { OpenJournals } from './open-journals.js'
import { processIsAlive } from './temp-files.js'
import { WriterLock } from './writer-lock.js'
import { recordLength, type StoredRecord } from './record.js'
import { SidecarBuilder } from './sidecar-builder.js'
import type { ReplayEntry } from './sidecars.js'
import { JournalReplay } from './journal-replay.js'

export type { JournalDirOptions } from './journal-dir-options.js'
export type { PendingClaim } from './journal-following.js'
export type { ReplayEntry } from './sidecars.js'
export type { StoredRecord } from './record.js'

/** Where a record lives. */
export interface RecordLocation {
  journalId: number
  offset: number
  length: number
}

export interface AppendFields {
  flags?: number
  /** Milliseconds since the epoch; 0 (the default) never expires. */
  expiresAt?: number
  /** Milliseconds since the epoch. @default now() */
  writeTime?: number
}

/** The key of a void record: one byte 0xFF, which no UTF-8 key or tag can be. */
export const VOID_KEY = Buffer.from([0xff])

/**
 * The journals of one directory, as this thread sees them. Appends go to the
 * active journal; when it fills, exactly one process creates the next and
 * every writer follows. Any number of JournalDirs, in threads or processes,
 * may have one directory open and append at once.
 */
export class JournalDir {
  readonly dir: string
  readonly journalBytes: number
  #api: MappingApi
  /** The journals open here: shared with #rotation and #following, which change them too. */
  #open = new OpenJournals()
  #recovery: RecoveryMode
  #onCorruption: CorruptionHandler
  #verifyReads: boolean
  #mapping: MappingPolicy
  #now: () => number
  #sidecars = new SidecarBuilder()
  #rotation: JournalRotation
  #following: JournalFollowing
  /** Capacity of removed journals whose files are still being deleted. */
  #removingBytes = 0
  #replay: JournalReplay
  #writerLock: WriterLock | undefined
  #closed = false

  private constructor(dir: string, options: JournalDirOptions) {
    const checked = checkJournalDirOptions(options)
    this.dir = dir
    this.journalBytes = checked.journalBytes
    this.#recovery = checked.recovery
    this.#onCorruption = checked.onCorruption
    this.#verifyReads = checked.verifyReads
    this.#now = checked.now
    this.#api = checked.api
    this.#mapping = new MappingPolicy(checked.maxMappedBytes, checked.coldAfterMs, this.#api.name === 'mmap', () => this.#open.slots.values(), () => this.#open.active)
    const isClosed = (): boolean => this.#closed
    this.#rotation = new JournalRotation({
      api: this.#api, dir, journalBytes: this.journalBytes, now: this.#now, recovery: this.#recovery, onCorruption: this.#onCorruption,
      open: this.#open, mapping: this.#mapping, sidecars: this.#sidecars, isClosed,
    })
    this.#following = new JournalFollowing({
      api: this.#api, dir, onCorruption: this.#onCorruption, open: this.#open, mapping: this.#mapping, rotation: this.#rotation, isClosed,
    })
    this.#replay = new JournalReplay({
      dir, recovery: this.#recovery, onCorruption: this.#onCorruption, claimAlive: this.#claimAlive, sidecars: this.#sidecars,
      isActive: (journal) => journal === this.#open.active,
      retire: (journal) => this.#rotation.retire(journal, true),
      scanned: (journal, result, damaged, tailBefore) => this.#following.scanned(journal, result, damaged, tailBefore),
    })
  }

  /**
   * Opens (creating if need be) a journal directory. Throws ERR_DIR_NOT_WRITABLE
   * for a directory it cannot write, and ERR_JOURNAL_VERSION when a journal
   * comes from a newer format. A file that is not a journal, or whose header
   * is damaged, is reported through onCorruption and left untouched.
   */
  static open(dir: string, options: JournalDirOptions = {}): JournalDir {
    const jd = new JournalDir(path.resolve(dir), options)
    try {
      jd.#openFiles()
    } catch (err) {
      jd.close()
      throw err
    }
    return jd
  }

  get backend(): BackendName {
    return this.#api.name
  }

  /** Ids of the journals open here, oldest first. */
  journalIds(): number[] {
    return [...this.#open.slots.keys()].sort((a, b) => a - b)
  }

  journal(id: number): Journal | undefined {
    return this.#open.slots.get(id)?.journal
  }

  /** The bloom filter of a sealed journal, once its sidecar is loaded or built. */
  bloom(id: number): BloomFilter | undefined {
    return this.#open.slots.get(id)?.bloom
  }

  /**
   * Appends a record and returns where it went. Throws ERR_KEY_INVALID,
   * ERR_KEY_TOO_LARGE, ERR_VALUE_INVALID or ERR_VALUE_TOO_LARGE before
   * touching any file, and ERR_DISK_FULL when no new journal can be allocated.
   */
  append(key: string | Uint8Array, value: Uint8Array | string, fields: AppendFields = {}): RecordLocation {
    if (this.#closed) throw new SpillwayError('ERR_JOURNAL_CLOSED', `journal directory ${this.dir} is closed`)
    const keyLength = keyByteLength(key)
    let bytes = valueBytes(value)
    const length = recordLength(keyLength, bytes.byteLength)
    if (length > this.journalBytes - HEADER_BYTES) throw this.#tooLarge(keyLength, bytes.byteLength)
    const flags = fields.flags ?? 0
    const expiresAt = fields.expiresAt ?? 0
    const writeTime = fields.writeTime ?? this.#now()
    for (;;) {
      const journal = this.#open.active ?? this.#rotation.nextJournal()
      const offset = journal.tryAppend(key, keyLength, bytes, flags, writeTime, expiresAt)
      if (offset >= 0) {
        this.#rotation.appended(offset)
        return { journalId: journal.id, offset, length }
      }
      // Sealing remaps the journal and may unmap others: key or value bytes
      // viewed from a mapping (viewAt) would be detached under this append.
      if (typeof key !== 'string' && this.#mapsAny(key)) key = key.slice()
      if (this.#mapsAny(bytes)) bytes = bytes.slice()
      this.#rotation.retire(journal, offset === SEALED_HERE)
    }
  }

  /**
   * Claims room for a record with a key and value of these sizes, marked
   * pending under this process's pid, and returns where: for a record that
   * may only be written once every claim before it is settled (a move, a
   * carried tombstone; see src/store/journal-drain.ts). The caller must end
   * it with publishClaim or voidClaim in the same synchronous turn. Throws
   * as append does.
   */
  claim(keyLength: number, valueLength: number): RecordLocation {
    if (this.#closed) throw new SpillwayError('ERR_JOURNAL_CLOSED', `journal directory ${this.dir} is closed`)
    const length = recordLength(keyLength, valueLength)
    if (length > this.journalBytes - HEADER_BYTES) throw this.#tooLarge(keyLength, valueLength)
    for (;;) {
      const journal = this.#open.active ?? this.#rotation.nextJournal()
      const offset = journal.tryClaim(length)
      if (offset >= 0) {
        journal.holdClaim()
        this.#rotation.appended(offset)
        return { journalId: journal.id, offset, length }
      }
      this.#rotation.retire(journal, offset === SEALED_HERE)
    }
  }

  /** Writes and publishes the record claimed at `at`; key and value must have the sizes claimed. */
  publishClaim(at: RecordLocation, key: Uint8Array, value: Uint8Array, fields: AppendFields = {}): void {
    const journal = this.#open.slots.get(at.journalId)!.journal
    if (recordLength(key.byteLength, value.byteLength) !== at.length) throw new RangeError(`a claim of ${at.length} bytes cannot hold this record`)
    journal.publishClaim(at.offset, key, key.byteLength, value, fields.flags ?? 0, fields.writeTime ?? this.#now(), fields.expiresAt ?? 0)
  }

  /**
   * Publishes the claim at `at` as a void record: a purge record under the
   * key 0xFF, which no tag can be, padded to the claim's length. Replay and
   * followers pass over it (FORMAT.md §Record flags).
   */
  voidClaim(at: RecordLocation): void {
    this.publishClaim(at, VOID_KEY, new Uint8Array(at.length - recordLength(VOID_KEY.byteLength, 0)), { flags: FLAG_PURGE })
  }

  /**
   * The error for a record that cannot fit in one journal, naming the limit
   * that was passed: the key's when no value at all fits beside it.
   */
  #tooLarge(keyLength: number, valueLength: number): SpillwayError {
    const room = this.journalBytes - HEADER_BYTES - recordLength(0, 0)
    if (keyLength > room) {
      return new SpillwayError('ERR_KEY_TOO_LARGE',
        `key of ${keyLength} bytes does not fit in a journal of ${this.journalBytes} bytes: its records hold at most ${room} bytes of key and value together`)
    }
    return new SpillwayError('ERR_VALUE_TOO_LARGE',
      `value of ${valueLength} bytes does not fit in a journal of ${this.journalBytes} bytes with a key of ${keyLength} bytes: ` +
      `at most ${room - keyLength} bytes of value fit beside that key`)
  }

  /** True when `bytes` lie in the mapping of a journal open here. */
  #mapsAny(bytes: Uint8Array): boolean {
    for (const { journal } of this.#open.slots.values()) if (journal.holds(bytes)) return true
    return false
  }

  /**
   * Reads a record back, checking that it is whole (and its CRC32C, unless
   * verifyReads is off). A record that fails is reported and never returned.
   * Key and value are copies of the caller's own: they stay valid and
   * unchanged whatever happens to the journal, may be handed to anything that
   * reads them later (`socket.write`, `fs.write`, a stream), and writing into
   * them never touches the journal. See viewAt for reads without the copy.
   */
  read(location: RecordLocation): StoredRecord | undefined {
    return this.readAt(location.journalId, location.offset, location.length)
  }

  /**
   * `read` for callers that keep locations in typed arrays rather than
   * objects. `verifyCrc: false` skips the CRC for a caller that needs only the
   * key (a write confirming what it replaces); values are always checked.
   */
  readAt(journalId: number, offset: number, length: number, verifyCrc = this.#verifyReads): StoredRecord | undefined {
    return this.#read(journalId, offset, length, verifyCrc, true)
  }

  /**
   * `readAt` without the copy, for a caller that looks at the bytes at once
   * and copies what it keeps (the store compares the key and decodes the
   * value). Key and value are views of the journal's mapping when it is
   * mapped, and the caller takes on three rules:
   * - use them before the next call into this JournalDir, which may unmap
   *   the journal: a view read after that is empty;
   * - never hand them to anything that reads them later on another thread
   *   (`socket.write`, `fs.write`, a stream): native code does not see the
   *   unmap, and would send whatever memory is mapped there by then;
   * - never write into them: a sealed journal is mapped read-only (the
   *   process dies of SIGSEGV), and the active one is the file itself.
   */
  viewAt(journalId: number, offset: number, length: number, verifyCrc = this.#verifyReads): StoredRecord | undefined {
    return this.#read(journalId, offset, length, verifyCrc, false)
  }

  /**
   * `viewAt` for a caller that reads many records scattered over the
   * journals, once each (a purge): a sealed journal's record is read with
   * pread into `scratch` when it fits there, else viewed. The first touch of
   * a mapped page costs a page fault, far more than a pread of a small
   * record, and a scattered read rarely finds its page touched already. The
   * record's key and value follow viewAt's rules, and are valid only until
   * `scratch` is next written.
   */
  scatteredViewAt(journalId: number, offset: number, length: number, verifyCrc: boolean, scratch: Buffer): StoredRecord | undefined {
    const slot = this.#open.slots.get(journalId)
    if (slot === undefined) return undefined
    const journal = slot.journal
    if (journal.writable || length > scratch.byteLength) return this.#read(journalId, offset, length, verifyCrc, false)
    const record = journal.readInto(offset, length, verifyCrc, scratch)
    if (record === undefined) this.#onCorruption({ file: journal.file, offset, length, reason: 'corrupt-record' })
    return record
  }

  #read(journalId: number, offset: number, length: number, verifyCrc: boolean, copy: boolean): StoredRecord | undefined {
    const slot = this.#open.slots.get(journalId)
    if (slot === undefined) return undefined
    this.#mapping.noteRead(slot)
    const record = slot.journal.read(offset, length, verifyCrc, copy)
    if (record === undefined) this.#onCorruption({ file: slot.journal.file, offset, length, reason: 'corrupt-record' })
    return record
  }

  /**
   * Visits every record of every journal, oldest journal first and in file
   * order within each. Sealed journals are read from their hint files when
   * those check out; otherwise the journal is scanned and its sidecars are
   * rebuilt. The entry object and its key view are reused between calls:
   * `entry.key` and `entry.tags` follow viewAt's rules and are valid only
   * during the call; copy what you keep.
   */
  replay(visit: (entry: ReplayEntry) => void): void {
    for (const id of this.journalIds()) this.replayJournal(id, visit)
  }

  /** Visits the records of one journal, in file order; see replay. */
  replayJournal(id: number, visit: (entry: ReplayEntry) => void): void {
    const slot = this.#open.slots.get(id)
    if (slot !== undefined) this.#replay.replayJournal(slot, visit)
  }

  /**
   * A sealed journal's hint (FORMAT.md §Hint file): from its file when that
   * checks out, else built from a scan (and written out). Walk it with
   * HintCursor. Undefined for an unknown or active journal.
   */
  async hint(id: number): Promise<Uint8Array | undefined> {
    const slot = this.#open.slots.get(id)
    if (slot === undefined || slot.journal === this.#open.active) return undefined
    return this.#replay.hint(slot, () => this.#open.slots.get(id) === slot)
  }

  /**
   * Bytes of the journal files this directory object has on disk: those open
   * here, the next one if it is prepared or being prepared, and removed ones
   * whose files the thread pool has not deleted yet.
   */
  diskBytes(): number {
    let bytes = this.#removingBytes + this.#rotation.next.bytesBeyond(this.#open.newestId)
    for (const { journal } of this.#open.slots.values()) bytes += journal.capacity
    return bytes
  }

  /**
   * Sealed journals whose hint is waiting for a claim below their end to be
   * published (or its writer to be gone). For tests and diagnostics.
   */
  sidecarsAwaitingClaims(): number[] {
    return this.#sidecars.awaitingClaims()
  }

  /** The journal being appended to, if there is one yet. */
  activeJournalId(): number | undefined {
    return this.#open.active?.id
  }

  /**
   * Deletes a sealed journal and its sidecars. The file is unlinked, never
   * truncated, so another process that still has it mapped keeps valid pages.
   * Unlinking a 64 MiB file takes the kernel tens of milliseconds (it frees
   * the extents and drops the cached pages), so it runs on the thread pool;
   * the journal is gone from this directory object at once.
   */
  removeJournal(id: number): Promise<void> {
    const slot = this.#open.slots.get(id)
    if (slot === undefined || slot.journal === this.#open.active) return Promise.resolve()
    slot.journal.close()
    this.#open.slots.delete(id)
    this.#removingBytes += slot.journal.capacity
    return Promise.all([journalFileName(id), hintFileName(id), bloomFileName(id)]
      .map((name) => fs.promises.rm(path.join(this.dir, name), { force: true })))
      .then(() => {}).finally(() => {
        this.#removingBytes -= slot.journal.capacity
      })
  }

  /**
   * For a follower whose journal `id` is sealed and read to its end: the
   * next journal in the directory, opened here if another process created
   * it. Ids whose files are gone were drained by maintenance and are passed
   * over. Undefined when no later journal exists yet (the writer that sealed
   * `id` has not linked the next one into place). A journal that is still
   * active becomes this directory's active journal too, so this process's
   * next append goes there without trying the sealed one first.
   */
  journalAfter(id: number): Journal | undefined {
    return this.#following.journalAfter(id)
  }

  /**
   * Drops journal `id` from this directory object without touching its file:
   * another process removed it (announced in the log before the unlink).
   */
  forgetJournal(id: number): void {
    this.#following.forgetJournal(id)
  }

  /**
   * Where a follower takes over from replay: the newest journal and the
   * offset its replay stopped at (its end when replay read its hint), and the
   * claims replay passed over because their writers may still publish them.
   */
  followStart(): { journalId: number; offset: number; claims: PendingClaim[] } {
    return this.#following.followStart()
  }

  /** Makes this thread's appends so far durable (msync MS_SYNC). */
  sync(): void {
    for (const { journal } of this.#open.slots.values()) journal.sync()
  }

  /** Like sync, with the flushing done on the thread pool. */
  async syncAsync(): Promise<void> {
    await Promise.all([...this.#open.slots.values()].map(({ journal }) => journal.syncAsync()))
  }

  /**
   * Resolves once the work started off this thread has finished: the
   * sidecars of every journal sealed so far, and the next journal if one is
   * being prepared (a graceful shutdown waits for it).
   */
  async backgroundSettled(): Promise<void> {
    await this.#rotation.next.settled()
    await this.#sidecars.settled()
  }

  /** Unmaps and closes every journal. Appends are not synced; sidecars still being built are left to the next open. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#rotation.next.close()
    this.#mapping.close()
    this.#sidecars.close()
    for (const { journal } of this.#open.slots.values()) journal.close()
    this.#open.slots.clear()
    this.#rotation.activate(undefined)
    this.#writerLock?.release()
  }

  #openFiles(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true })
      fs.accessSync(this.dir, fs.constants.W_OK)
    } catch (err) {
      throw translateWriteError(err, `journal directory ${this.dir}`)
    }
    this.#writerLock = WriterLock.acquire(this.dir, this.#api.name === 'pread')
    const ids = journalIdsIn(this.dir)
    for (const id of ids) {
      this.#open.newestId = id
      let journal: Journal | undefined
      try {
        journal = openJournalOrPassOver(this.#api, this.dir, id, id === ids[ids.length - 1], this.#onCorruption, this.#recovery === 'salvage')
      } catch (err) {
        // Removed by another process's maintenance since the listing: its records were moved first.
        if (isSystemError(err, 'ENOENT')) continue
        throw err
      }
      if (journal === undefined) continue
      this.#open.add(id, journal)
      if (journal.sealed) journal.remapReadOnly()
      else this.#rotation.activate(journal)
    }
    this.#mapping.enforceBudget()
    // Damage in the active journal seals it for every writer (JournalReplay.recoverActive).
    if (this.#open.active !== undefined && this.#replay.recoverActive(this.#open.active)) this.#rotation.activate(undefined)
  }

  /**
   * Whether the writer of an unpublished claim may still be writing it
   * (FORMAT.md §Recovery): not when no other JournalDir holds the directory
   * (this one has nothing in flight while it scans); else not when the pid
   * recorded with the claim names no live process. A claim with no pid yet,
   * or this process's (another thread's), may be in progress.
   */
  #claimAlive = (pid: number): boolean => {
    if (this.#writerLock === undefined || !this.#writerLock.othersMayHold()) return false
    return pid === 0 || pid === process.pid || processIsAlive(pid)
  }

}
