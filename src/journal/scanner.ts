import type { CorruptionHandler, RecoveryMode } from './corruption.js'
import { alignRecord, END_MARKER, HDR_TAIL, HEADER_BYTES, PENDING_BIT, RECORD_ALIGN, RECORD_HEADER_BYTES } from './format.js'
import { checkRecord, claimPid, isZero, loadCommitWord, type ByteView } from './record.js'

/**
 * Whether the writer of a claimed but unpublished range may still be writing
 * it. `pid` is the pid recorded with the claim, or 0 when none is recorded
 * yet (a writer between its claim and its mark). A claim whose writer may be
 * alive is a record in progress, not damage.
 */
export type ClaimWriterAlive = (pid: number) => boolean

export interface ScanInput {
  view: ByteView
  file: string
  /** Bytes of the file that may be read: the smaller of its size and its capacity. */
  limit: number
  /** The journal's capacity, from its header. @default limit */
  capacity?: number
  /** The tail word from the header. Past the capacity once the journal is full. */
  tail: number
  /**
   * Loads the tail word again, for a view that other writers share (a
   * mapping): the scan then judges bytes against a tail read after them, and
   * follows records claimed while it runs.
   */
  loadTail?: () => number
  /** Where to start: a follower resumes where it stopped. @default 4096, the first record */
  from?: number
  /**
   * Scan only [from, to), a range known to be claimed whole (a follower
   * looking again at a claim it passed over): the tail word is not consulted.
   */
  to?: number
  /** @default every writer is dead: each unpublished claim is a hole */
  claimAlive?: ClaimWriterAlive
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
  /** Claims passed over unpublished whose writers may still be writing them: records not (yet) in `offsets`. */
  unpublished: number
  /** Where the first of those starts (a follower resumes there), or where the scan stopped when there is none. */
  resumeAt: number
  /** Met damage that is not at the tail (`corrupt-record`): what was kept depends on the recovery mode. */
  modeDependent: boolean
  /** Where the scan stopped: the tail (or end) it reached, or the damage it stopped at. */
  stoppedAt: number
  /** The claims counted in `unpublished`, as (offset, end, pid) triples; pid 0 for a claim not yet marked. */
  claims: number[]
}

const noWriterAlive: ClaimWriterAlive = () => false

/**
 * Replays a journal's records (FORMAT.md §Recovery). Each damaged stretch is
 * passed over by resynchronising on the next aligned offset that holds a
 * record whose layout and CRC check out (or a pending claim), and is reported
 * once. Claims whose writers may be alive are passed over unreported. It
 * never throws on damaged bytes, trusts no word as an index before checking
 * it, and never yields a record that fails its CRC.
 */
export function scanJournal(input: ScanInput): ScanResult {
  const { view, file, limit, mode, onCorruption, loadTail } = input
  const verifyCrc = input.verifyCrc ?? true
  const claimAlive = input.claimAlive ?? noWriterAlive
  const capacity = input.capacity ?? limit
  let offsets: Uint32Array = new Uint32Array(1024)
  let count = 0
  let unpublished = 0
  let firstUnpublished = -1
  let modeDependent = false
  const bounded = input.to !== undefined
  let tail = input.to ?? input.tail
  const tailIsSane = tail >= HEADER_BYTES && tail % RECORD_ALIGN === 0
  // A tail word that lags the data (a damaged word, or a header page older
  // than the records after a power loss) must not hide records: when bytes
  // follow it, distrust it and read to the end of the file. Bytes past a tail
  // that has moved since are a live writer's claim: look again from there.
  let dataPastTail = false
  while (!bounded && tailIsSane && tailLagsData(view, Math.min(tail, limit), limit)) {
    const again = loadTail?.() ?? tail
    if (again === tail) {
      dataPastTail = true
      break
    }
    tail = again
  }
  if (!tailIsSane || dataPastTail) onCorruption({ file, offset: HDR_TAIL, length: 8, reason: 'bad-header' })
  const follow = !bounded && loadTail !== undefined && tailIsSane && !dataPastTail
  // Space below the tail was claimed by some writer; zeros there are a claim
  // not yet marked (or a dead writer's hole). Zeros above it are unclaimed.
  let claimedEnd = tailIsSane ? Math.min(tail, limit) : HEADER_BYTES
  let end = tailIsSane && !dataPastTail ? claimedEnd : limit
  const isEnd = (at: number) => tail >= capacity && isZero(view.u8, at + 4, limit)
  const claims: number[] = []
  const passUnpublished = (at: number, length: number, pid: number) => {
    if (claimAlive(pid)) {
      unpublished++
      claims.push(at, at + length, pid)
      if (firstUnpublished < 0) firstUnpublished = at
    } else {
      onCorruption({ file, offset: at, length, reason: 'hole' })
    }
  }
  const result = (rejected: boolean): ScanResult => ({
    offsets: rejected ? new Uint32Array(0) : offsets.subarray(0, count),
    rejected,
    unpublished,
    resumeAt: firstUnpublished < 0 ? pos : firstUnpublished,
    modeDependent,
    stoppedAt: pos,
    claims,
  })
  let pos = input.from ?? HEADER_BYTES

  for (;;) {
    if (pos + RECORD_HEADER_BYTES > end) {
      if (!follow) break
      const moved = loadTail()
      if (Math.min(moved, limit) <= end) break
      tail = moved
      end = claimedEnd = Math.min(moved, limit)
      continue
    }
    const commit = loadCommitWord(view, pos)
    if (commit === END_MARKER && isEnd(pos)) break
    const length = checkRecord(view, pos, end, verifyCrc)
    if (length > 0) {
      if (count === offsets.length) offsets = grow(offsets)
      offsets[count++] = pos
      pos += alignRecord(length)
      continue
    }
    const claimEnd = pendingClaimEnd(view, pos, commit, end, isEnd)
    if (claimEnd !== undefined) {
      const pid = claimPid(view, pos)
      if (pid === undefined) continue // published while we looked: read it again
      passUnpublished(pos, claimEnd - pos, pid)
      pos = claimEnd
      continue
    }
    const next = resync(view, pos + RECORD_ALIGN, end, isEnd)
    const zeroed = isZero(view.u8, pos, next ?? end)
    // A writer may have claimed and marked this offset since the word was loaded.
    if (!zeroed && loadCommitWord(view, pos) !== commit) continue
    if (zeroed) {
      if (pos < claimedEnd) passUnpublished(pos, (next ?? claimedEnd) - pos, 0)
      else if (next !== undefined) onCorruption({ file, offset: pos, length: next - pos, reason: 'hole' })
      pos = next ?? end
      continue
    }
    if (next === undefined) {
      onCorruption({ file, offset: pos, length: end - pos, reason: 'torn-tail' })
      break
    }
    modeDependent = true
    onCorruption({ file, offset: pos, length: next - pos, reason: 'corrupt-record' })
    if (mode === 'salvage') {
      pos = next
      continue
    }
    if (mode === 'tolerate-tail') {
      onCorruption({ file, offset: HEADER_BYTES, length: end - HEADER_BYTES, reason: 'journal-rejected' })
      return result(true)
    }
    onCorruption({ file, offset: next, length: end - next, reason: 'dropped-after-corruption' })
    break
  }
  return result(false)
}

/**
 * Whether bytes follow the tail word: the header page is older than the
 * records (or damaged), and a writer trusting the tail would overwrite them.
 */
export function tailLagsData(view: ByteView, tail: number, limit: number): boolean {
  return tail < limit && !isZero(view.u8, tail, Math.min(limit, tail + RECORD_HEADER_BYTES))
}

/**
 * Where the pending claim at `offset` ends, when `commit` is one whose length
 * is possible here and ends on a boundary; else undefined. The length is
 * checked against the bytes left before it is used: a damaged word near
 * 0xFFFFFFFF is data, never an index.
 */
function pendingClaimEnd(view: ByteView, offset: number, commit: number, end: number, isEnd: (at: number) => boolean): number | undefined {
  if ((commit & PENDING_BIT) === 0 || commit === END_MARKER) return undefined
  const length = (commit & ~PENDING_BIT) >>> 0
  if (length < RECORD_HEADER_BYTES || length > end - offset) return undefined
  const claimEnd = offset + alignRecord(length)
  return isBoundary(view, claimEnd, end, isEnd) ? claimEnd : undefined
}

/** Whether a record, a pending claim, the end marker, unclaimed zeros or the end can start at `offset`. */
function isBoundary(view: ByteView, offset: number, end: number, isEnd: (at: number) => boolean): boolean {
  if (offset + RECORD_HEADER_BYTES > end) return true
  const commit = loadCommitWord(view, offset)
  if (commit === END_MARKER) return isEnd(offset)
  return commit === 0 || (commit & PENDING_BIT) !== 0 || checkRecord(view, offset, end, true) > 0
}

/** The next offset from `from` that holds a record that checks out, or a pending claim that ends on a boundary. */
function resync(view: ByteView, from: number, end: number, isEnd: (at: number) => boolean): number | undefined {
  for (let p = from; p + RECORD_HEADER_BYTES <= end; p += RECORD_ALIGN) {
    if (checkRecord(view, p, end, true) > 0) return p
    const commit = loadCommitWord(view, p)
    if ((commit & PENDING_BIT) !== 0 && pendingClaimEnd(view, p, commit, end, isEnd) !== undefined) return p
  }
  return undefined
}

function grow(a: Uint32Array): Uint32Array {
  const b = new Uint32Array(a.length * 2)
  b.set(a)
  return b
}
