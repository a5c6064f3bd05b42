import type { CorruptionHandler, RecoveryMode } from './corruption.js'
import { alignRecord, END_MARKER, HDR_TAIL, HEADER_BYTES, PENDING_BIT, RECORD_ALIGN, RECORD_HEADER_BYTES } from './format.js'
import { checkRecord, isZero, loadCommitWord, type ByteView } from './record.js'

export interface ScanInput {
  view: ByteView
  file: string
  /** Bytes of the file that may be read: the smaller of its size and its capacity. */
  limit: number
  /** The tail word from the header. Past the capacity once the journal is full. */
  tail: number
  mode: RecoveryMode
  onCorruption: CorruptionHandler
  /**
   * Check each record's CRC32C. Only a scan of records this machine has just
   * written and still holds in the page cache may skip it; reads check anyway.
   * @default true
   */
  verifyCrc?: boolean
}

export interface ScanResult {
  /** Offsets of every record that checked out, in file order. */
  offsets: Uint32Array
  /** Refused whole: 'tolerate-tail' met damage that is not at the tail. */
  rejected: boolean
}

/**
 * Replays a journal's records (FORMAT.md §Recovery). Each damaged stretch is
 * passed over by resynchronising on the next aligned offset that holds a
 * record whose layout and CRC check out, and is reported once. It never
 * throws on damaged bytes and never yields a record that fails its CRC.
 */
export function scanJournal(input: ScanInput): ScanResult {
  const { view, file, limit, mode, onCorruption } = input
  const verifyCrc = input.verifyCrc ?? true
  let offsets: Uint32Array = new Uint32Array(1024)
  let count = 0
  const tailIsSane = input.tail >= HEADER_BYTES && input.tail % RECORD_ALIGN === 0
  // Space below the tail was claimed by some writer; zeros there are a dead
  // writer's hole. Zeros above it are space nobody has claimed yet.
  const claimedEnd = tailIsSane ? Math.min(input.tail, limit) : HEADER_BYTES
  // A tail word that lags the data (a damaged word, or a header page older
  // than the records after a power loss) must not hide records: when bytes
  // follow it, distrust it and read to the end of the file.
  const dataPastTail = tailIsSane && tailLagsData(view, claimedEnd, limit)
  if (!tailIsSane || dataPastTail) onCorruption({ file, offset: HDR_TAIL, length: 8, reason: 'bad-header' })
  const end = tailIsSane && !dataPastTail ? claimedEnd : limit
  let pos = HEADER_BYTES

  while (pos + RECORD_HEADER_BYTES <= end) {
    const commit = loadCommitWord(view, pos)
    if (commit === END_MARKER) return { offsets: offsets.subarray(0, count), rejected: false }
    const length = checkRecord(view, pos, end, verifyCrc)
    if (length > 0) {
      if (count === offsets.length) offsets = grow(offsets)
      offsets[count++] = pos
      pos += alignRecord(length)
      continue
    }
    const pendingLength = (commit & ~PENDING_BIT) >>> 0
    const pendingEnd = pos + alignRecord(pendingLength)
    if ((commit & PENDING_BIT) !== 0 && pendingLength >= RECORD_HEADER_BYTES && pendingEnd <= end && isBoundary(view, pendingEnd, end)) {
      // A writer claimed this range and died, or is still writing it.
      onCorruption({ file, offset: pos, length: pendingEnd - pos, reason: 'hole' })
      pos = pendingEnd
      continue
    }
    const next = resync(view, pos + RECORD_ALIGN, end)
    const damagedTo = next ?? end
    const zeroed = isZero(view.u8, pos, damagedTo)
    if (next === undefined) {
      if (!zeroed) onCorruption({ file, offset: pos, length: end - pos, reason: 'torn-tail' })
      else if (pos < claimedEnd) onCorruption({ file, offset: pos, length: claimedEnd - pos, reason: 'hole' })
      break
    }
    if (zeroed) {
      onCorruption({ file, offset: pos, length: next - pos, reason: 'hole' })
      pos = next
      continue
    }
    onCorruption({ file, offset: pos, length: next - pos, reason: 'corrupt-record' })
    if (mode === 'salvage') {
      pos = next
      continue
    }
    if (mode === 'tolerate-tail') {
      onCorruption({ file, offset: HEADER_BYTES, length: end - HEADER_BYTES, reason: 'journal-rejected' })
      return { offsets: new Uint32Array(0), rejected: true }
    }
    onCorruption({ file, offset: next, length: end - next, reason: 'dropped-after-corruption' })
    return { offsets: offsets.subarray(0, count), rejected: false }
  }
  return { offsets: offsets.subarray(0, count), rejected: false }
}

/**
 * Whether bytes follow the tail word: the header page is older than the
 * records (or damaged), and a writer trusting the tail would overwrite them.
 */
export function tailLagsData(view: ByteView, tail: number, limit: number): boolean {
  return tail < limit && !isZero(view.u8, tail, Math.min(limit, tail + RECORD_HEADER_BYTES))
}

/** Whether a record, a pending claim, the end marker, unclaimed zeros or the end can start at `offset`. */
function isBoundary(view: ByteView, offset: number, end: number): boolean {
  if (offset + RECORD_HEADER_BYTES > end) return true
  const commit = loadCommitWord(view, offset)
  return commit === 0 || commit === END_MARKER || (commit & PENDING_BIT) !== 0 || checkRecord(view, offset, end, true) > 0
}

function resync(view: ByteView, from: number, end: number): number | undefined {
  for (let p = from; p + RECORD_HEADER_BYTES <= end; p += RECORD_ALIGN) {
    if (checkRecord(view, p, end, true) > 0) return p
  }
  return undefined
}

function grow(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2)
  b.set(a)
  return b
}
