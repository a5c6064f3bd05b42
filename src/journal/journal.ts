import fs from 'node:fs'
import { SpillwayError } from '../errors.js'
import type { MappingApi } from '../native.js'
import type { CorruptionHandler, RecoveryMode } from './corruption.js'
import { datasync, readFully } from './cold-file-io.js'
import {
  alignRecord, HDR_STATE, HDR_TAIL, HEADER_BYTES, MAX_JOURNAL_BYTES, MIN_JOURNAL_BYTES, RECORD_ALIGN,
  RECORD_HEADER_BYTES, STATE_ACTIVE, STATE_SEALED,
} from './format.js'
import { readHeader, type JournalHeader } from './header.js'
import {
  byteView, checkRecord, markPending, publishRecord, recordLength, storedRecord, writeEndMarker, writeRecord,
  type ByteView, type StoredRecord,
} from './record.js'
import { scanJournal, tailLagsData, type ClaimWriterAlive, type ScanResult } from './scanner.js'

/**
 * One journal file open in this thread. While active it is mapped read-write
 * and any number of threads and processes append to it at once: each claims
 * its range with one atomic add on the tail word in the shared header page
 * (FORMAT.md §Appending). Once full it is sealed, remapped read-only, and may
 * later go cold: unmapped, with reads served by positional reads. New
 * journal files are made by journal-creation.ts.
 */
export class Journal {
  readonly id: number
  readonly file: string
  readonly capacity: number
  /** Bytes of the file that can be read: less than the capacity only for a truncated file. */
  readonly limit: number
  #api: MappingApi
  #fd: number
  #writable: boolean
  #buffer: ArrayBuffer | undefined
  #view: ByteView | undefined
  #tail: BigInt64Array | undefined
  /** The tail word's low half (little-endian), for a follower's check that nothing changed: no BigInt. */
  #tailLow: Int32Array | undefined
  #state: Int32Array | undefined
  /** This thread's unsynced span of the journal. */
  #dirtyFrom = Infinity
  #dirtyTo = 0
  /** Claims made with tryClaim and not yet published, and whether a remap waits for them. */
  #openClaims = 0
  #remapWanted = false
  /** Flushes started by syncAsync and not yet finished: the file stays open for them. */
  #flushing = 0
  #closed = false

  private constructor(api: MappingApi, file: string, fd: number, header: JournalHeader, limit: number, writable: boolean) {
    this.#api = api
    this.file = file
    this.#fd = fd
    this.id = header.id
    this.capacity = header.capacity
    this.limit = limit
    this.#writable = writable
  }

  /**
   * Opens and maps an existing journal. Throws ERR_NOT_A_JOURNAL,
   * ERR_JOURNAL_VERSION or ERR_JOURNAL_CORRUPT, naming the file, when its
   * header does not check out; the file is left as it was.
   */
  static open(api: MappingApi, file: string, writable: boolean, onCorruption: CorruptionHandler): Journal {
    const fd = fs.openSync(file, writable ? 'r+' : 'r')
    try {
      const size = fs.fstatSync(fd).size
      const page = new Uint8Array(Math.min(size, HEADER_BYTES))
      fs.readSync(fd, page, 0, page.byteLength, 0)
      const header = readHeader(page, file)
      let limit = header.capacity
      if (size < header.capacity) {
        // A copy or a filesystem cut it short: readable up to its end, never appended to.
        onCorruption({ file, offset: size, length: header.capacity - size, reason: 'truncated-file' })
        limit = size - (size % 8)
        writable = false
      }
      const journal = new Journal(api, file, fd, header, limit, writable)
      journal.#map()
      if (journal.#tailLagsData()) journal.remapReadOnly()
      return journal
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
  }

  /**
   * Opens, read-only, journal `id` whose header fails its checks, for salvage:
   * the capacity is taken from the file's size, and its records are trusted
   * only as far as their own lengths and CRCs (FORMAT.md §Recovery).
   */
  static openSalvaged(api: MappingApi, file: string, id: number): Journal {
    const fd = fs.openSync(file, 'r')
    try {
      const size = fs.fstatSync(fd).size
      const capacity = Math.min(size - (size % HEADER_BYTES), MAX_JOURNAL_BYTES)
      if (capacity < MIN_JOURNAL_BYTES) throw new SpillwayError('ERR_NOT_A_JOURNAL', `${file} is too short to salvage`, { file })
      const journal = new Journal(api, file, fd, { id, capacity, createdAt: 0 }, capacity, false)
      journal.#map()
      return journal
    } catch (err) {
      fs.closeSync(fd)
      throw err
    }
  }

  get mapped(): boolean {
    return this.#buffer !== undefined
  }

  get writable(): boolean {
    return this.#writable
  }

  /** The published tail word: where the next claim starts. Past the capacity once full. */
  get tail(): number {
    return this.#tail === undefined ? this.capacity : Number(Atomics.load(this.#tail, 0))
  }

  /**
   * The low 32 bits of the tail word, or -1 when unmapped: one atomic load
   * and no allocation, for the check a follower makes before every read. A
   * tail at or past the capacity (sealed) never equals a follower's cursor,
   * which stays below it, except by wrapping 2^32 bytes of claims past the end.
   */
  tailLow(): number {
    const word = this.#tailLow
    return word === undefined ? -1 : Atomics.load(word, 0)
  }

  /**
   * The journal's bytes as a view for following (mapping it again if it went
   * cold), or undefined when it cannot be mapped. Follows viewAt's rules.
   */
  followView(): ByteView | undefined {
    if (this.#closed) return undefined
    if (this.#view === undefined) this.makeWarm()
    return this.#view
  }

  get sealed(): boolean {
    return !this.#writable || this.tail >= this.capacity ||
      (this.#state !== undefined && Atomics.load(this.#state, 0) !== STATE_ACTIVE)
  }

  /**
   * Appends one record and returns its offset, or a negative number when the
   * journal has no room. The claimer whose range crosses the end writes the
   * end marker and marks the journal sealed (and gets SEALED_HERE); every
   * writer moves on to the next journal.
   */
  tryAppend(key: string | Uint8Array, keyLength: number, value: Uint8Array, flags: number, writeTime: number, expiresAt: number): number {
    const start = this.tryClaim(recordLength(keyLength, value.byteLength))
    if (start >= 0) this.#publish(start, key, keyLength, value, flags, writeTime, expiresAt)
    return start
  }

  /**
   * Claims room for a record of `length` bytes and marks it pending with
   * this process's pid (FORMAT.md §Appending), without writing it: the
   * caller publishes it with `publishClaim` in the same synchronous turn.
   * Returns the offset; or, when the journal has no room, SEALED_HERE if
   * this claim crossed the end and sealed it (its writer builds the
   * sidecars), else -1. Until it is published the
   * journal keeps its writable mapping, even if it is sealed meanwhile.
   */
  tryClaim(length: number): number {
    const view = this.#view
    if (!this.#writable || view === undefined || this.#tail === undefined) return -1
    const size = alignRecord(length)
    // JournalDir refuses such records first; a claim this size would run past the end of any journal.
    if (!(size <= this.capacity - HEADER_BYTES)) throw new RangeError(`a record of ${length} bytes cannot fit in ${this.file}`)
    const start = Number(Atomics.add(this.#tail, 0, claimSize(size)))
    if (start + size > this.capacity) {
      if (start >= this.capacity) return -1
      writeEndMarker(view.commitWords!, start)
      Atomics.store(this.#state!, 0, STATE_SEALED)
      this.#noteDirty(start, start + 8)
      return SEALED_HERE
    }
    markPending(view, start, length)
    return start
  }

  /** Writes and publishes the record a tryClaim claimed at `start`; its length must be the one claimed. */
  publishClaim(start: number, key: string | Uint8Array, keyLength: number, value: Uint8Array, flags: number, writeTime: number, expiresAt: number): void {
    this.#publish(start, key, keyLength, value, flags, writeTime, expiresAt)
    if (--this.#openClaims === 0 && this.#remapWanted) {
      this.#remapWanted = false
      this.remapReadOnly()
    }
  }

  /** Counts a claim made with tryClaim and not yet published: the mapping must stay writable until then. */
  holdClaim(): void {
    this.#openClaims++
  }

  #publish(start: number, key: string | Uint8Array, keyLength: number, value: Uint8Array, flags: number, writeTime: number, expiresAt: number): void {
    const view = this.#view!
    const length = recordLength(keyLength, value.byteLength)
    publishRecord(view, start, length, writeRecord(view, start, key, keyLength, value, flags, writeTime, expiresAt))
    this.#noteDirty(start, start + alignRecord(length))
  }

  /**
   * Reads the record at `offset` and checks it is whole and `length` long
   * (and, when `verifyCrc`, that its CRC32C matches); undefined when the
   * location cannot hold a record or the bytes there are not that record.
   * With `copy`, key and value are memory of the caller's own. Without, a
   * mapped journal hands back views into its mapping: they read as empty once
   * it is unmapped, but only JavaScript access is guarded (see
   * JournalDir.viewAt), and writing into them writes into the journal.
   */
  read(offset: number, length: number, verifyCrc: boolean, copy: boolean): StoredRecord | undefined {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < HEADER_BYTES || offset % RECORD_ALIGN !== 0 ||
      length < RECORD_HEADER_BYTES || offset + length > this.limit) return undefined
    let view = this.#view
    let at = offset
    if (view === undefined) {
      // Node's pooled slab for small reads: a fresh ArrayBuffer per read costs the kernel a page fault on the copy.
      return this.readInto(offset, length, verifyCrc, Buffer.allocUnsafe(length))
    }
    return checkRecord(view, at, at + length, verifyCrc) === length ? storedRecord(view, at, copy) : undefined
  }

  /**
   * `read` through pread into `into` (at least `length` bytes; key and value
   * are views of it), mapped or not. Only for a journal that is not
   * writable here: the pread backend keeps a writable journal's latest
   * records in memory until it syncs.
   */
  readInto(offset: number, length: number, verifyCrc: boolean, into: Buffer): StoredRecord | undefined {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < HEADER_BYTES || offset % RECORD_ALIGN !== 0 ||
      length < RECORD_HEADER_BYTES || offset + length > this.limit || length > into.byteLength) return undefined
    if (fs.readSync(this.#fd, into, 0, length, offset) !== length) return undefined
    const view = byteView(into.buffer, into.byteOffset, length)
    return checkRecord(view, 0, length, verifyCrc) === length ? storedRecord(view, 0, false) : undefined
  }

  /** True when `bytes` lies in this journal's mapping, so unmapping it would detach them. */
  holds(bytes: Uint8Array): boolean {
    return this.#buffer !== undefined && bytes.buffer === this.#buffer
  }

  /**
   * Replays the records; see scanJournal. Cold journals are read whole for
   * the scan. A mapped journal is scanned live: records other writers claim
   * meanwhile are followed, and `claimAlive` decides whether an unpublished
   * claim is a record in progress or a dead writer's hole.
   */
  scan(mode: RecoveryMode, onCorruption: CorruptionHandler, options: { verifyCrc?: boolean; claimAlive?: ClaimWriterAlive } = {}): { view: ByteView; result: ScanResult } {
    let view = this.#view
    if (view === undefined) {
      const bytes = new Uint8Array(this.limit)
      readFully(this.#fd, bytes, 0)
      view = byteView(bytes.buffer)
    }
    const tailWord = this.#tail
    const tail = tailWord === undefined ? Number(view.dv.getBigUint64(HDR_TAIL, true)) : Number(Atomics.load(tailWord, 0))
    const loadTail = tailWord === undefined ? undefined : () => Number(Atomics.load(tailWord, 0))
    return {
      view,
      result: scanJournal({ view, file: this.file, limit: this.limit, capacity: this.capacity, tail, loadTail, mode, onCorruption, ...options }),
    }
  }

  /**
   * Seals the journal for every writer, not just this one: claims the rest of
   * it through the shared tail word and ends it there, so every writer in any
   * thread or process moves to the next journal together. For an active
   * journal that recovery found damaged: no record may be appended after the
   * damage, and no writer may be left appending to a journal the others have
   * left. A journal whose tail word lags its data is already read-only here
   * and left as it is: an end marker at that tail would overwrite records.
   * The mapping stays writable until the journal is retired.
   */
  sealForEveryone(): void {
    const view = this.#view
    if (this.#writable && view !== undefined && this.#tail !== undefined) {
      const start = Number(Atomics.add(this.#tail, 0, BigInt(this.capacity)))
      if (start < this.capacity) {
        writeEndMarker(view.commitWords!, start)
        Atomics.store(this.#state!, 0, STATE_SEALED)
        this.#noteDirty(start, start + 8)
      }
    }
  }

  /**
   * Makes this thread's appends since the last sync durable, and the header
   * page that holds the tail: msync MS_SYNC of the range while the journal is
   * mapped, an fdatasync of its file once it is cold (its pages were handed
   * to the kernel with MS_ASYNC at the unmap, and nothing else flushes them).
   */
  sync(): void {
    if (this.#dirtyTo === 0) return
    if (this.#buffer === undefined) fs.fdatasyncSync(this.#fd)
    else {
      this.#api.sync(this.#buffer, this.#dirtyFrom, this.#dirtyTo - this.#dirtyFrom, true)
      this.#api.sync(this.#buffer, 0, HEADER_BYTES, true)
    }
    this.#dirtyFrom = Infinity
    this.#dirtyTo = 0
  }

  /**
   * Like sync, but the flush runs on the thread pool. The file descriptor
   * stays open until every flush started here has finished (see close), so
   * a flush never fails with EBADF nor lands on a file that reused the number.
   * A flush that fails leaves its range to the next sync.
   */
  async syncAsync(): Promise<void> {
    if (this.#dirtyTo === 0) return
    const buffer = this.#buffer
    const from = this.#dirtyFrom
    const to = this.#dirtyTo
    this.#dirtyFrom = Infinity
    this.#dirtyTo = 0
    this.#flushing++
    try {
      if (buffer === undefined) await datasync(this.#fd)
      // Both started at once: the journal may be sealed and remapped while they run, and a
      // flush started before that must still complete (each pins its mapping until done).
      else await Promise.all([this.#api.syncAsync(buffer, from, to - from), this.#api.syncAsync(buffer, 0, HEADER_BYTES)])
    } catch (err) {
      this.#noteDirty(from, to)
      throw err
    } finally {
      if (--this.#flushing === 0 && this.#closed) this.#closeFile()
    }
  }

  /**
   * After sealing: map read-only and tell the kernel reads will be random. The
   * file descriptor stays: a flush still under way writes through it, and a
   * closed descriptor's number can be reused by another file at once.
   */
  remapReadOnly(): void {
    if (!this.#writable) return
    if (this.#openClaims > 0) {
      this.#remapWanted = true
      return
    }
    this.#unmap()
    this.#writable = false
    if (this.#fileHoldsLimit()) this.#map()
  }

  /** Unmaps a sealed journal; its reads go through pread from now on. */
  makeCold(): void {
    if (this.#writable || this.#buffer === undefined) return
    this.#unmap()
  }

  /** Maps a cold journal again, unless its file has been cut short meanwhile. */
  makeWarm(): void {
    if (this.#buffer === undefined && this.#fileHoldsLimit()) this.#map()
  }

  /**
   * False when another program truncated the file: a mapping past its end
   * would raise SIGBUS on the first read there, so such a journal stays
   * unmapped and its reads go through pread, which sees the end.
   */
  #fileHoldsLimit(): boolean {
    return fs.fstatSync(this.#fd).size >= this.limit
  }

  /** The fraction of the mapping resident in memory (0 when cold). */
  residentFraction(): number {
    return this.#buffer === undefined ? 0 : this.#api.residentFraction(this.#buffer)
  }

  /** Unmaps the journal, and closes its file once no flush started by syncAsync still needs it. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unmap()
    if (this.#flushing === 0) this.#closeFile()
  }

  #closeFile(): void {
    fs.closeSync(this.#fd)
    this.#fd = -1
  }

  /**
   * A journal whose tail word lags its data is never appended to again: a
   * claim from that tail would overwrite records that recovery can still see.
   * A tail that moves while we look belongs to a live writer, not a stale page.
   */
  #tailLagsData(): boolean {
    if (!this.#writable || this.#tail === undefined) return false
    const tail = Number(Atomics.load(this.#tail, 0))
    return tail >= HEADER_BYTES && tailLagsData(this.#view!, tail, this.limit) && Number(Atomics.load(this.#tail, 0)) === tail
  }

  #map(): void {
    const buffer = this.#api.map(this.#fd, this.limit, this.#writable)
    this.#buffer = buffer
    this.#view = byteView(buffer, 0, this.limit, true)
    this.#tail = new BigInt64Array(buffer, HDR_TAIL, 1)
    this.#tailLow = new Int32Array(buffer, HDR_TAIL, 1)
    this.#state = new Int32Array(buffer, HDR_STATE, 1)
    if (!this.#writable) this.#api.advise(buffer, 0, this.limit, 'random')
  }

  #unmap(): void {
    const buffer = this.#buffer
    if (buffer === undefined) return
    // The pread backend's "mapping" is a private copy: its writes reach the
    // file only here or at sync. (For a real mapping this is MS_ASYNC: free.)
    if (this.#writable && this.#dirtyTo > 0) {
      this.#api.sync(buffer, this.#dirtyFrom, this.#dirtyTo - this.#dirtyFrom, false)
      this.#api.sync(buffer, 0, HEADER_BYTES, false)
    }
    this.#buffer = this.#view = this.#tail = this.#tailLow = this.#state = undefined
    this.#api.unmap(buffer)
  }

  #noteDirty(from: number, to: number): void {
    if (from < this.#dirtyFrom) this.#dirtyFrom = from
    if (to > this.#dirtyTo) this.#dirtyTo = to
  }
}

/** What tryClaim and tryAppend return when the claim crossed the end and so sealed the journal. */
export const SEALED_HERE = -2

/** BigInts for the common record sizes, so a claim allocates nothing. */
const CLAIM_SIZES: bigint[] = []
const CACHED_CLAIM_BYTES = 64 * 1024

function claimSize(size: number): bigint {
  if (size > CACHED_CLAIM_BYTES) return BigInt(size)
  return CLAIM_SIZES[size] ??= BigInt(size)
}
