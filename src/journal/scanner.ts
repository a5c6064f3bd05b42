import type { CorruptionHandler, RecoveryMode } from './corruption.js'
import { alignRecord, END_MARKER, HDR_TAIL, HEADER_BYTES, RECORD_ALIGN, RECORD_HEADER_BYTES } from './format.js'
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
  let offsets: Uint32Array = new Uint32Array(1024)
  let count = 0
  const tailIsSane = input.tail >= HEADER_BYTES && input.tail % RECORD_ALIGN === 0
  if (!tailIsSane) onCorruption({ file, offset: HDR_TAIL, length: 8, reason: 'bad-header' })
  // Space below the tail was claimed by some writer; zeros there are a dead
  // writer's hole. Zeros above it are space nobody has claimed yet.
  const claimedEnd = tailIsSane ? Math.min(input.tail, limit) : HEADER_BYTES
  let end = tailIsSane ? claimedEnd : limit
  let pos = HEADER_BYTES

  for (;;) {
    while (pos + RECORD_HEADER_BYTES <= end) {
      if (loadCommitWord(view, pos) === END_MARKER) return { offsets: offsets.subarray(0, count), rejected: false }
      const length = checkRecord(view, pos, end, true)
      if (length > 0) {
        if (count === offsets.length) offsets = grow(offsets)
        offsets[count++] = pos
        pos += alignRecord(length)
        continue
      }
      const next = resync(view, pos + RECORD_ALIGN, end)
      const damagedTo = next ?? end
      const zeroed = isZero(view.u8, pos, damagedTo)
      if (next === undefined) {
        if (!zeroed) onCorruption({ file, offset: pos, length: end - pos, reason: 'torn-tail' })
        else if (pos < claimedEnd) onCorruption({ file, offset: pos, length: claimedEnd - pos, reason: 'hole' })
        pos = end
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
    // A tail word that lags the records (a stale header page after power loss,
    // or a damaged word) must not hide them: keep going to the file's end.
    if (end < limit && checkRecord(view, end, limit, true) > 0) {
      onCorruption({ file, offset: HDR_TAIL, length: 8, reason: 'bad-header' })
      pos = end
      end = limit
      continue
    }
    return { offsets: offsets.subarray(0, count), rejected: false }
  }
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
