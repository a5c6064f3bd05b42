import fs from 'node:fs'
import path from 'node:path'
import { SpillwayError, isSystemError, translateWriteError } from '../errors.js'
import { keyByteLength, valueBytes } from '../input-bytes.js'
import { mapping as defaultMapping, mappingFor, type BackendName, type MappingApi } from '../native.js'
import { checkBoolean, checkFunction, checkInteger, checkLimit, checkOneOf } from '../option-checks.js'
import type { BloomFilter } from '../bloom-filter.js'
import { ignoreCorruption, RECOVERY_MODES, type CorruptionHandler, type CorruptionReport, type RecoveryMode } from './corruption.js'
import { alignRecord, HEADER_BYTES, journalFileName, MAX_JOURNAL_BYTES, MIN_JOURNAL_BYTES, parseJournalFileName } from './format.js'
import { Journal } from './journal.js'
import { recordLength, type ByteView, type StoredRecord } from './record.js'
import { loadSidecars, visitScanned, writeSidecars, type ReplayEntry } from './sidecars.js'

export type { ReplayEntry } from './sidecars.js'
export type { StoredRecord } from './record.js'

export interface JournalDirOptions {
  /** Size of each journal file, header included. @default 64 MiB */
  journalBytes?: number
  /** Bytes of sealed journals kept mapped; the least recently read beyond it go cold (pread). @default Infinity */
  maxMappedBytes?: number
  /** A sealed journal unread for this long is unmapped. @default 60000 */
  coldAfterMs?: number
  /** @default 'point-in-time' */
  recovery?: RecoveryMode
  /** Told of every damaged stretch recovery or a read passes over. */
  onCorruption?: CorruptionHandler
  /** @default the process's backend: see backend() */
  backend?: BackendName
  /** Check each record's CRC32C when it is read. @default true */
  verifyReads?: boolean
  /** The clock for record write times. @default Date.now */
  now?: () => number
}

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
}

interface Slot {
  journal: Journal
  lastRead: number
  readsSinceSweep: number
  bloom: BloomFilter | undefined
}

const DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024
/** A cold journal read this often between sweeps is worth mapping again. */
const WARM_AFTER_READS = 32
const HOLE_RETRY_MS = 50
const HOLE_RETRIES = 20

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
  #slots = new Map<number, Slot>()
  #active: Journal | undefined
  #newestId = 0
  #recovery: RecoveryMode
  #onCorruption: CorruptionHandler
  #verifyReads: boolean
  #maxMappedBytes: number
  #now: () => number
  #tick = 0
  #sweeper: NodeJS.Timeout | undefined
  #pendingSidecars = new Map<Journal, number>()
  #sidecarTimer: NodeJS.Timeout | undefined
  #closed = false

  private constructor(dir: string, options: JournalDirOptions) {
    const thing = 'JournalDir'
    this.dir = dir
    this.journalBytes = checkInteger(thing, 'journalBytes', options.journalBytes ?? DEFAULT_JOURNAL_BYTES, MIN_JOURNAL_BYTES, MAX_JOURNAL_BYTES)
    if (this.journalBytes % HEADER_BYTES !== 0) throw new TypeError(`${thing} options.journalBytes must be a multiple of ${HEADER_BYTES}; got ${this.journalBytes}`)
    this.#maxMappedBytes = checkLimit(thing, 'maxMappedBytes', options.maxMappedBytes ?? Infinity)
    const coldAfterMs = checkLimit(thing, 'coldAfterMs', options.coldAfterMs ?? 60_000)
    this.#recovery = checkOneOf(thing, 'recovery', options.recovery ?? 'point-in-time', RECOVERY_MODES)
    this.#onCorruption = checkFunction(thing, 'onCorruption', options.onCorruption ?? ignoreCorruption)
    this.#verifyReads = checkBoolean(thing, 'verifyReads', options.verifyReads ?? true)
    this.#now = checkFunction(thing, 'now', options.now ?? Date.now)
    this.#api = options.backend === undefined ? defaultMapping : mappingFor(checkOneOf(thing, 'backend', options.backend, ['mmap', 'pread']))
    if (coldAfterMs !== Infinity) {
      this.#sweeper = setInterval(() => this.#sweepIdle(), coldAfterMs)
      this.#sweeper.unref()
    }
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
    return [...this.#slots.keys()].sort((a, b) => a - b)
  }

  journal(id: number): Journal | undefined {
    return this.#slots.get(id)?.journal
  }

  /** The bloom filter of a sealed journal, once its sidecar is loaded or built. */
  bloom(id: number): BloomFilter | undefined {
    return this.#slots.get(id)?.bloom
  }

  /**
   * Appends a record and returns where it went. Throws ERR_KEY_INVALID,
   * ERR_KEY_TOO_LARGE, ERR_VALUE_INVALID or ERR_VALUE_TOO_LARGE before
   * touching any file, and ERR_DISK_FULL when no new journal can be allocated.
   */
  append(key: string | Uint8Array, value: Uint8Array | string, fields: AppendFields = {}): RecordLocation {
    if (this.#closed) throw new SpillwayError('ERR_JOURNAL_CLOSED', `journal directory ${this.dir} is closed`)
    const keyLength = keyByteLength(key)
    const bytes = valueBytes(value)
    const length = recordLength(keyLength, bytes.byteLength)
    if (alignRecord(length) > this.journalBytes - HEADER_BYTES) {
      throw new SpillwayError('ERR_VALUE_TOO_LARGE',
        `value of ${bytes.byteLength} bytes does not fit in a journal of ${this.journalBytes} bytes with its key and record header`)
    }
    const flags = fields.flags ?? 0
    const expiresAt = fields.expiresAt ?? 0
    const writeTime = this.#now()
    for (;;) {
      const journal = this.#active ?? this.#nextJournal()
      const offset = journal.tryAppend(key, keyLength, bytes, flags, writeTime, expiresAt)
      if (offset >= 0) return { journalId: journal.id, offset, length }
      this.#retire(journal)
    }
  }

  /**
   * Reads a record back, checking that it is whole (and its CRC32C, unless
   * verifyReads is off). A record that fails is reported and never returned.
   * Key and value are views: of the mapping when the journal is mapped, so
   * copy what must outlive the journal going cold.
   */
  read(location: RecordLocation): StoredRecord | undefined {
    return this.readAt(location.journalId, location.offset, location.length)
  }

  /** `read` for callers that keep locations in typed arrays rather than objects. */
  readAt(journalId: number, offset: number, length: number): StoredRecord | undefined {
    const slot = this.#slots.get(journalId)
    if (slot === undefined) return undefined
    slot.lastRead = ++this.#tick
    if (++slot.readsSinceSweep === WARM_AFTER_READS && !slot.journal.mapped && this.#api.name === 'mmap') {
      slot.journal.makeWarm()
      this.#enforceMappedBudget()
    }
    const record = slot.journal.read(offset, length, this.#verifyReads)
    if (record === undefined) this.#onCorruption({ file: slot.journal.file, offset, length, reason: 'corrupt-record' })
    return record
  }

  /**
   * Visits every record of every journal, oldest journal first and in file
   * order within each. Sealed journals are read from their hint files when
   * those check out; otherwise the journal is scanned and its sidecars are
   * rebuilt. The entry object and its key view are reused between calls.
   */
  replay(visit: (entry: ReplayEntry) => void): void {
    for (const id of this.journalIds()) {
      const slot = this.#slots.get(id)!
      const journal = slot.journal
      if (journal.sealed && journal !== this.#active) {
        const loaded = loadSidecars(this.dir, journal, this.#onCorruption, visit)
        if (loaded !== undefined) {
          slot.bloom = loaded
          continue
        }
      }
      const { view, result } = journal.scan(this.#recovery, this.#onCorruption)
      visitScanned(id, view, result.offsets, visit)
      if (journal.sealed && journal !== this.#active && !result.rejected) {
        slot.bloom = this.#writeSidecarsQuietly(journal, view, result.offsets)
      }
    }
  }

  /** Makes this thread's appends so far durable (msync MS_SYNC). */
  sync(): void {
    for (const { journal } of this.#slots.values()) journal.sync()
  }

  /** Like sync, with the flushing done on the thread pool. */
  async syncAsync(): Promise<void> {
    await Promise.all([...this.#slots.values()].map(({ journal }) => journal.syncAsync()))
  }

  /** Writes the sidecars still owed, then unmaps and closes every journal. Appends are not synced. */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    clearInterval(this.#sweeper)
    clearTimeout(this.#sidecarTimer)
    // A hole now may be another process still writing: leave those sidecars to the next open.
    for (const journal of this.#pendingSidecars.keys()) this.#buildSidecars(journal, false)
    this.#pendingSidecars.clear()
    for (const { journal } of this.#slots.values()) journal.close()
    this.#slots.clear()
    this.#active = undefined
  }

  #openFiles(): void {
    try {
      fs.mkdirSync(this.dir, { recursive: true })
      fs.accessSync(this.dir, fs.constants.W_OK)
    } catch (err) {
      throw translateWriteError(err, `journal directory ${this.dir}`)
    }
    const names = fs.readdirSync(this.dir)
    removeDeadWritersTempFiles(this.dir, names)
    const ids = names.map(parseJournalFileName).filter((id): id is number => id !== undefined).sort((a, b) => a - b)
    for (const id of ids) {
      this.#newestId = id
      const file = path.join(this.dir, journalFileName(id))
      let journal: Journal
      try {
        journal = Journal.open(this.#api, file, id === ids[ids.length - 1], this.#onCorruption)
      } catch (err) {
        if (err instanceof SpillwayError && err.code !== 'ERR_JOURNAL_VERSION') {
          this.#onCorruption({ file, offset: 0, length: 0, reason: 'bad-header' })
          continue
        }
        throw err
      }
      this.#slots.set(id, { journal, lastRead: 0, readsSinceSweep: 0, bloom: undefined })
      if (journal.sealed) journal.remapReadOnly()
      else this.#active = journal
    }
    this.#enforceMappedBudget()
  }

  /** Opens the journal after the newest one known here, creating it unless another writer already has. */
  #nextJournal(): Journal {
    const id = this.#newestId + 1
    Journal.create(this.#api, this.dir, id, this.journalBytes, this.#now())
    const journal = Journal.open(this.#api, path.join(this.dir, journalFileName(id)), true, this.#onCorruption)
    this.#newestId = id
    this.#slots.set(id, { journal, lastRead: 0, readsSinceSweep: 0, bloom: undefined })
    this.#active = journal
    return journal
  }

  /** The active journal is full: seal it here and queue its sidecars. */
  #retire(journal: Journal): void {
    if (this.#active === journal) this.#active = undefined
    journal.remapReadOnly()
    this.#pendingSidecars.set(journal, 0)
    this.#scheduleSidecars(0)
    this.#enforceMappedBudget()
  }

  #scheduleSidecars(delay: number): void {
    if (this.#sidecarTimer !== undefined || this.#closed) return
    this.#sidecarTimer = setTimeout(() => {
      this.#sidecarTimer = undefined
      for (const [journal, tries] of this.#pendingSidecars) {
        if (this.#buildSidecars(journal, tries >= HOLE_RETRIES)) this.#pendingSidecars.delete(journal)
        else this.#pendingSidecars.set(journal, tries + 1)
      }
      if (this.#pendingSidecars.size > 0) this.#scheduleSidecars(HOLE_RETRY_MS)
    }, delay)
    this.#sidecarTimer.unref()
  }

  /**
   * Writes a sealed journal's hint and bloom sidecars. A hole may be a writer
   * elsewhere that claimed space but has not yet published, so unless `final`
   * it waits for holes to fill rather than leave a record out of the hint.
   */
  #buildSidecars(journal: Journal, final: boolean): boolean {
    const slot = this.#slots.get(journal.id)
    if (slot === undefined) return true
    const reports: CorruptionReport[] = []
    // Just written and sealed here: the bytes are in the page cache, and every read checks its CRC anyway.
    const { view, result } = journal.scan(this.#recovery, (report) => reports.push(report), false)
    if (!final && reports.some((r) => r.reason === 'hole')) return false
    for (const report of reports) this.#onCorruption(report)
    if (!result.rejected) slot.bloom = this.#writeSidecarsQuietly(journal, view, result.offsets)
    return true
  }

  #writeSidecarsQuietly(journal: Journal, view: ByteView, offsets: Uint32Array): BloomFilter {
    try {
      return writeSidecars(this.dir, journal.id, view, offsets)
    } catch (err) {
      // Sidecars only speed up a restart; a full disk must not fail the writer that sealed the journal.
      if (!isSystemError(err)) throw err
      return writeSidecars(undefined, journal.id, view, offsets)
    }
  }

  #sweepIdle(): void {
    for (const slot of this.#slots.values()) {
      if (slot.readsSinceSweep === 0 && slot.journal !== this.#active) slot.journal.makeCold()
      slot.readsSinceSweep = 0
    }
  }

  #enforceMappedBudget(): void {
    if (this.#maxMappedBytes === Infinity) return
    const mapped = [...this.#slots.values()].filter((s) => s.journal.mapped && s.journal !== this.#active)
    let bytes = mapped.reduce((sum, s) => sum + s.journal.limit, 0)
    mapped.sort((a, b) => a.lastRead - b.lastRead)
    for (const slot of mapped) {
      if (bytes <= this.#maxMappedBytes) break
      slot.journal.makeCold()
      bytes -= slot.journal.limit
    }
  }
}

/** Journals under construction are linked into place when done; those of dead processes never will be. */
function removeDeadWritersTempFiles(dir: string, names: string[]): void {
  for (const name of names) {
    const m = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name)
    if (m === null || processIsAlive(Number(m[1]))) continue
    fs.rmSync(path.join(dir, name), { force: true })
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return !isSystemError(err, 'ESRCH')
  }
}
