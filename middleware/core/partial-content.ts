/**
 * Partial content (RFC 9111 §3.3, §3.4; RFC 9110 §14, §15.3.7): a 206 to a
 * single-range request is stored as a partial entry, the pieces of one
 * representation it holds so far, and answers later Range requests that
 * fall inside one piece. Further 206s of the same representation add their
 * pieces (§3.4: only when both carry the same strong validator, or pieces of
 * two versions would be spliced together); when the pieces cover the whole,
 * the entry becomes a complete 200.
 *
 * The body of a partial entry is its pieces one after another, in order of
 * offset; `pieces` says which bytes of the representation they are.
 */
import type { CachedHead } from './cached-response.js'

export interface PartialContent {
  /** The complete representation's length. */
  total: number
  /** Inclusive byte ranges held, sorted, neither overlapping nor touching. */
  pieces: Array<[number, number]>
}

/** A `Content-Range: bytes first-last/complete` of a single range with a known length; undefined otherwise (RFC 9110 §14.4). */
function contentRange(value: string | string[] | undefined): { first: number; last: number; total: number } | undefined {
  if (typeof value !== 'string') return undefined
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15})$/.exec(value.trim())
  if (m === null) return undefined
  const [first, last, total] = [Number(m[1]), Number(m[2]), Number(m[3])]
  return first <= last && last < total ? { first, last, total } : undefined
}

/** Where in the entry's body the bytes `start`..`end` of the representation begin, or undefined when no one piece holds them all. */
export function pieceOffset(partial: PartialContent, start: number, end: number): number | undefined {
  let offset = 0
  for (const [first, last] of partial.pieces) {
    if (start >= first && end <= last) return offset + (start - first)
    offset += last - first + 1
  }
  return undefined
}

function isStrongTag(etag: string | string[] | undefined): etag is string {
  return typeof etag === 'string' && etag.trim().startsWith('"')
}

/**
 * The entry to store for a 206 (`head`, `body`), given what is stored under
 * its key now: its pieces joined to the stored ones when both are pieces of
 * one representation by a strong ETag, and a complete 200 once they cover it;
 * or why it is not stored.
 */
export function withStoredPieces(head: CachedHead, body: Buffer, stored: { head: CachedHead; body: Buffer } | undefined):
  { head: CachedHead; body: Buffer } | { notStored: string } {
  const range = contentRange(head.headers['content-range'])
  if (range === undefined) return { notStored: 'partial content without a single byte range of known length' }
  if (!isStrongTag(head.headers.etag)) return { notStored: 'partial content without a strong ETag' }
  if (body.byteLength !== range.last - range.first + 1) return { notStored: 'partial content whose body is not its Content-Range' }
  let pieces: Array<{ first: number; last: number; bytes: Buffer }> = [{ first: range.first, last: range.last, bytes: body }]
  const same = stored !== undefined && stored.head.headers.etag === head.headers.etag && isStrongTag(stored.head.headers.etag)
  if (same && stored!.head.status !== 206) return { notStored: 'a whole copy of this representation is stored' }
  const storedPartial = stored?.head.partial
  if (same && storedPartial !== undefined && storedPartial.total === range.total) {
    let offset = 0
    for (const [first, last] of storedPartial.pieces) {
      pieces.push({ first, last, bytes: stored!.body.subarray(offset, offset + last - first + 1) })
      offset += last - first + 1
    }
    pieces = joined(pieces)
  }
  const out = Buffer.concat(pieces.map((p) => p.bytes))
  if (pieces.length === 1 && pieces[0].first === 0 && pieces[0].last === range.total - 1) {
    const headers: Record<string, string | string[]> = { ...head.headers, 'content-length': String(range.total) }
    delete headers['content-range']
    const complete: CachedHead = { ...head, status: 200, headers }
    delete complete.partial
    return { head: complete, body: out }
  }
  return { head: { ...head, partial: { total: range.total, pieces: pieces.map((p) => [p.first, p.last]) } }, body: out }
}

/** Pieces sorted and merged where they overlap or touch (overlapping bytes are the same bytes, by the strong ETag). */
function joined(pieces: Array<{ first: number; last: number; bytes: Buffer }>): Array<{ first: number; last: number; bytes: Buffer }> {
  const sorted = [...pieces].sort((a, b) => a.first - b.first)
  const out: typeof pieces = []
  for (const piece of sorted) {
    const prev = out[out.length - 1]
    if (prev === undefined || piece.first > prev.last + 1) {
      out.push(piece)
      continue
    }
    if (piece.last > prev.last) {
      prev.bytes = Buffer.concat([prev.bytes, piece.bytes.subarray(prev.last + 1 - piece.first)])
      prev.last = piece.last
    }
  }
  return out
}
