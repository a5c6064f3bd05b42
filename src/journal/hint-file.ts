import { crc32c } from '../checksum.js'
import { FLAG_TAGGED, FORMAT_VERSION, HINT_ENTRY_BYTES, HINT_HEADER_BYTES, HINT_MAGIC } from './format.js'

/**
 * Hint files (FORMAT.md §Hint file) list a sealed journal's records, key and
 * location, so a restart rebuilds its index without reading the journal
 * itself. A hint is only ever a shortcut: one that fails a check is ignored
 * and the journal is scanned instead.
 */
export interface HintEntry {
  offset: number
  length: number
  flags: number
  expiresAt: number
  /** The key's bytes: a view that is valid only until the next entry. */
  key: Uint8Array
  /** A tagged record's tag block (FORMAT.md §Tag block), else undefined. */
  tags: Uint8Array | undefined
}

export class HintWriter {
  #bytes: Uint8Array
  #dv: DataView
  #size = HINT_HEADER_BYTES
  #count = 0

  constructor(expectedBytes = 64 * 1024) {
    this.#bytes = new Uint8Array(Math.max(expectedBytes, HINT_HEADER_BYTES + 4))
    this.#dv = new DataView(this.#bytes.buffer)
  }

  add(offset: number, length: number, flags: number, expiresAt: number, key: Uint8Array, tags: Uint8Array | undefined): void {
    // The grammar: a tag copy exactly when the flags say tagged, so a reader can always find the next entry.
    if ((flags & FLAG_TAGGED) !== 0) tags ??= new Uint8Array(0)
    else tags = undefined
    const tagBytes = tags === undefined ? 0 : 2 + tags.byteLength
    this.#reserve(HINT_ENTRY_BYTES + key.byteLength + tagBytes)
    const dv = this.#dv
    let at = this.#size
    dv.setUint32(at, offset, true)
    dv.setUint32(at + 4, length, true)
    dv.setFloat64(at + 8, expiresAt, true)
    dv.setUint16(at + 16, flags, true)
    dv.setUint16(at + 18, key.byteLength, true)
    this.#bytes.set(key, at + HINT_ENTRY_BYTES)
    at += HINT_ENTRY_BYTES + key.byteLength
    if (tags !== undefined) {
      dv.setUint16(at, tags.byteLength, true)
      this.#bytes.set(tags, at + 2)
      at += tagBytes
    }
    this.#size = at
    this.#count++
  }

  /** The finished file: header, entries, then the CRC32C of all of it. */
  finish(journalId: number): Uint8Array {
    this.#reserve(4)
    const dv = this.#dv
    dv.setUint32(0, HINT_MAGIC, true)
    dv.setUint32(4, FORMAT_VERSION, true)
    dv.setUint32(8, journalId, true)
    dv.setUint32(12, this.#count, true)
    dv.setUint32(this.#size, crc32c(0, this.#bytes, 0, this.#size), true)
    return this.#bytes.subarray(0, this.#size + 4)
  }

  #reserve(more: number): void {
    if (this.#size + more <= this.#bytes.byteLength) return
    const bigger = new Uint8Array(Math.max(this.#bytes.byteLength * 2, this.#size + more))
    bigger.set(this.#bytes.subarray(0, this.#size))
    this.#bytes = bigger
    this.#dv = new DataView(bigger.buffer)
  }
}

/**
 * Checks a hint file whole before any entry is used, so a damaged hint is
 * never half-applied. Returns the entry count, or a reason it was refused.
 */
export function checkHintFile(bytes: Uint8Array, journalId: number): { count: number } | { refused: string } {
  if (bytes.byteLength < HINT_HEADER_BYTES + 4) return { refused: 'too short' }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (dv.getUint32(0, true) !== HINT_MAGIC) return { refused: 'bad magic number' }
  if (dv.getUint32(4, true) !== FORMAT_VERSION) return { refused: `format version ${dv.getUint32(4, true)}` }
  const end = bytes.byteLength - 4
  if (dv.getUint32(end, true) !== crc32c(0, bytes, 0, end)) return { refused: 'CRC32C mismatch' }
  if (dv.getUint32(8, true) !== journalId) return { refused: `written for journal ${dv.getUint32(8, true)}` }
  return { count: dv.getUint32(12, true) }
}

/**
 * Walks the entries of a hint that checkHintFile accepted, one `next()` at a
 * time, so a long walk can pause between entries (compaction does, to yield
 * to the event loop). The cursor is itself the current entry.
 */
export class HintCursor implements HintEntry {
  readonly count: number
  offset = 0
  length = 0
  flags = 0
  expiresAt = 0
  key: Uint8Array
  tags: Uint8Array | undefined
  #bytes: Uint8Array
  #dv: DataView
  #at = HINT_HEADER_BYTES
  #index = 0

  constructor(bytes: Uint8Array) {
    // A plain Uint8Array even when handed a Buffer: its subarray, one for
    // every key, costs two thirds of a Buffer's (a million at every open).
    this.#bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.count = this.#dv.getUint32(12, true)
    this.key = this.#bytes.subarray(0, 0)
  }

  /** Moves to the next entry; false when there is none, or the next would run past the file. */
  next(): boolean {
    const dv = this.#dv
    // Past the CRC and the count a hint is trusted, but an entry never reads past the bytes.
    const end = this.#bytes.byteLength - 4
    let at = this.#at
    if (this.#index === this.count || at + HINT_ENTRY_BYTES > end) return false
    const keyLength = dv.getUint16(at + 18, true)
    if (at + HINT_ENTRY_BYTES + keyLength > end) return false
    this.offset = dv.getUint32(at, true)
    this.length = dv.getUint32(at + 4, true)
    this.expiresAt = dv.getFloat64(at + 8, true)
    this.flags = dv.getUint16(at + 16, true)
    this.key = this.#bytes.subarray(at + HINT_ENTRY_BYTES, at + HINT_ENTRY_BYTES + keyLength)
    at += HINT_ENTRY_BYTES + keyLength
    this.tags = undefined
    if ((this.flags & FLAG_TAGGED) !== 0) {
      if (at + 2 > end || at + 2 + dv.getUint16(at, true) > end) return false
      const tagsLength = dv.getUint16(at, true)
      this.tags = this.#bytes.subarray(at + 2, at + 2 + tagsLength)
      at += 2 + tagsLength
    }
    this.#at = at
    this.#index++
    return true
  }
}
