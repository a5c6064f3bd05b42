import fs from 'node:fs'
import path from 'node:path'
import { isSystemError, SpillwayError } from '../errors.js'
import type { CorruptionReport } from './corruption.js'
import { HDR_STATE, HDR_TAIL, HEADER_BYTES, journalFileName, parseJournalFileName, STATE_ACTIVE } from './format.js'
import { readHeader } from './header.js'
import { byteView } from './record.js'
import { scanJournal } from './scanner.js'
import { processIsAlive } from './temp-files.js'

/** What `verifyJournals` found in one journal. */
export interface JournalVerification {
  id: number
  file: string
  /** From the header's state word when it was read; undefined when the header is unreadable. */
  state: 'active' | 'sealed' | undefined
  /** Bytes read and checked: the file's size, at most its capacity. */
  bytes: number
  /** Records whose layout and CRC32C check out. */
  records: number
  /**
   * Damaged stretches (FORMAT.md §Recovery): records failing their CRC or
   * layout, a torn tail, a bad or foreign header, a file shorter than its
   * capacity. Holes (claims whose writer died before publishing) are normal
   * with several writers, and are counted in `holes` instead.
   */
  damage: CorruptionReport[]
  holes: number
  /** The journal was removed (by another process's compaction or eviction) before it could be opened: nothing to check. */
  removed: boolean
}

export interface VerifyOptions {
  /** Told as bytes are read: the bytes done so far and in all, over every journal listed. */
  onProgress?: (doneBytes: number, totalBytes: number) => void
}

const CHUNK_BYTES = 4 * 1024 * 1024

/**
 * Checks every record's CRC32C in every journal of `dir`, reading the files
 * with plain reads and taking no lock, so writers in other processes carry
 * on undisturbed. A live writer's bytes may be read half written (a pread is
 * no snapshot), so a journal found damaged is read and checked a second
 * time, and only damage found at the same offset both times is reported:
 * real damage stays put, a record being written does not. Claims a live
 * process is writing are passed over, as recovery does beside live writers.
 * Throws for a `dir` it cannot list.
 */
export async function verifyJournals(dir: string, options: VerifyOptions = {}): Promise<JournalVerification[]> {
  const ids = fs.readdirSync(dir).map(parseJournalFileName).filter((id): id is number => id !== undefined).sort((a, b) => a - b)
  const sizes = ids.map((id) => fileSize(path.join(dir, journalFileName(id))))
  const totalBytes = sizes.reduce((a, b) => a + b, 0)
  let doneBytes = 0
  options.onProgress?.(0, totalBytes)
  const results: JournalVerification[] = []
  for (const [i, id] of ids.entries()) {
    const result = await verifyJournal(path.join(dir, journalFileName(id)), id, (bytes) => {
      doneBytes += bytes
      options.onProgress?.(Math.min(doneBytes, totalBytes), totalBytes)
    })
    // The file may have grown or shrunk since the listing: the total stays the one announced.
    doneBytes = sizes.slice(0, i + 1).reduce((a, b) => a + b, 0)
    options.onProgress?.(doneBytes, totalBytes)
    results.push(result)
  }
  return results
}

async function verifyJournal(file: string, id: number, onBytes: (bytes: number) => void): Promise<JournalVerification> {
  const result: JournalVerification = { id, file, state: undefined, bytes: 0, records: 0, damage: [], holes: 0, removed: false }
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(file, 'r')
  } catch (err) {
    if (!isSystemError(err, 'ENOENT')) throw err
    result.removed = true
    return result
  }
  try {
    const size = (await handle.stat()).size
    const header = new Uint8Array(Math.min(size, HEADER_BYTES))
    await readAt(handle, header, 0)
    let capacity: number
    try {
      capacity = readHeader(header, file).capacity
    } catch (err) {
      if (!(err instanceof SpillwayError)) throw err
      result.damage.push({ file, offset: 0, length: header.byteLength, reason: 'bad-header' })
      return result
    }
    const limit = Math.min(size, capacity)
    result.bytes = limit
    if (size < capacity) result.damage.push({ file, offset: size, length: capacity - size, reason: 'truncated-file' })
    const first = await scanOnce(handle, file, limit, capacity, onBytes)
    result.state = first.state
    result.records = first.records
    result.holes = first.holes
    if (first.damage.length > 0) {
      const again = await scanOnce(handle, file, limit, capacity, () => {})
      const seen = new Set(again.damage.map(damageKey))
      result.damage.push(...first.damage.filter((report) => seen.has(damageKey(report))))
    }
    return result
  } finally {
    await handle.close()
  }
}

interface ScanOutcome {
  state: 'active' | 'sealed'
  records: number
  holes: number
  damage: CorruptionReport[]
}

async function scanOnce(handle: fs.promises.FileHandle, file: string, limit: number, capacity: number, onBytes: (bytes: number) => void): Promise<ScanOutcome> {
  const bytes = new Uint8Array(limit)
  for (let at = 0; at < limit; at += CHUNK_BYTES) {
    const chunk = bytes.subarray(at, Math.min(limit, at + CHUNK_BYTES))
    await readAt(handle, chunk, at)
    onBytes(chunk.byteLength)
  }
  const view = byteView(bytes.buffer)
  const tailWord = new Uint8Array(8)
  // Reads the tail again from the file: records appended after the header was read lie past the first tail.
  const loadTail = () => {
    fs.readSync(handle.fd, tailWord, 0, 8, HDR_TAIL)
    return Number(new DataView(tailWord.buffer).getBigUint64(0, true))
  }
  const outcome: ScanOutcome = { state: view.dv.getUint32(HDR_STATE, true) === STATE_ACTIVE ? 'active' : 'sealed', records: 0, holes: 0, damage: [] }
  const scanned = scanJournal({
    view, file, limit, capacity, tail: Number(view.dv.getBigUint64(HDR_TAIL, true)), loadTail, mode: 'salvage',
    // A claim with no pid yet, or a live writer's, may still be published: not a hole (yet).
    claimAlive: (pid) => pid === 0 || pid === process.pid || processIsAlive(pid),
    onCorruption: (report) => {
      if (report.reason === 'hole') outcome.holes++
      else outcome.damage.push(report)
    },
  })
  outcome.records = scanned.offsets.length
  return outcome
}

async function readAt(handle: fs.promises.FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < into.byteLength;) {
    const { bytesRead } = await handle.read(into, done, into.byteLength - done, position + done)
    if (bytesRead === 0) return // the file shrank under us: the rest stays zero
    done += bytesRead
  }
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return 0
    throw err
  }
}

function damageKey(report: CorruptionReport): string {
  return `${report.reason}@${report.offset}`
}
