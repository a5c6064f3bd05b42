import { crc32c } from '../checksum.js'
import {
  END_MARKER, KNOWN_FLAGS, PENDING_BIT, REC_CLAIM_PID, REC_CRC, REC_EXPIRES_AT, REC_FLAGS, REC_KEY_LENGTH, REC_LENGTH,
  REC_VALUE_LENGTH, REC_WRITE_TIME, RECORD_HEADER_BYTES,
} from './format.js'

/**
 * Encoding and checking of one record (FORMAT.md §Record). Every function
 * works on a byte range seen two ways, as bytes and as a DataView over the
 * same memory, so one codec serves the mapped journal and the small buffers
 * that cold reads fill.
 */
export interface ByteView {
  /** A Buffer, so string keys are encoded straight into place with no scratch copy. */
  readonly u8: Buffer
  readonly dv: DataView
  /**
   * Set over memory that other writers share (a journal mapping): commit words
   * are then loaded with Atomics, which orders the loads of the record's bytes
   * after the load that found it published.
   */
  readonly commitWords: Uint32Array | undefined
  /**
   * The same memory as 64-bit words, set with commitWords: publication stores
   * the commit word and the CRC beside it in one atomic write, so a reader
   * that finds the word pending reads the claimer's pid, never half a CRC.
   */
  readonly claimWords: BigUint64Array | undefined
}

export function byteView(buffer: ArrayBufferLike, byteOffset = 0, byteLength = buffer.byteLength - byteOffset, shared = false): ByteView {
  return {
    u8: Buffer.from(buffer, byteOffset, byteLength),
    dv: new DataView(buffer, byteOffset, byteLength),
    commitWords: shared ? new Uint32Array(buffer, byteOffset, byteLength >>> 2) : undefined,
    claimWords: shared ? new BigUint64Array(buffer, byteOffset, byteLength >>> 3) : undefined,
  }
}

/** The commit word at an 8-aligned offset: 0 while unpublished, END_MARKER at the end of a sealed journal. */
export function loadCommitWord(view: ByteView, offset: number): number {
  return view.commitWords === undefined
    ? view.dv.getUint32(offset + REC_LENGTH, true)
    : Atomics.load(view.commitWords, (offset + REC_LENGTH) >>> 2)
}

/** A checked record's layout; key and value bytes stay where they are. */
export interface RecordInfo {
  flags: number
  /** Milliseconds since the Unix epoch. */
  writeTime: number
  /** Milliseconds since the Unix epoch; 0 means the record never expires. */
  expiresAt: number
  offset: number
  length: number
  keyOffset: number
  keyLength: number
  valueOffset: number
  valueLength: number
}

export function recordLength(keyLength: number, valueLength: number): number {
  return RECORD_HEADER_BYTES + keyLength + valueLength
}

const SHORT_ASCII_KEY = 64

/**
 * Writes everything of a record but its commit word and CRC, and returns the
 * CRC for `publishRecord` to store with the length: until then the CRC's word
 * holds the claimer's pid (FORMAT.md §Appending). A string key is encoded
 * into place; `keyLength` is its UTF-8 length.
 */
export function writeRecord(view: ByteView, offset: number, key: string | Uint8Array, keyLength: number, value: Uint8Array,
  flags: number, writeTime: number, expiresAt: number): number {
  const { u8, dv } = view
  const length = RECORD_HEADER_BYTES + keyLength + value.byteLength
  dv.setUint16(offset + REC_FLAGS, flags, true)
  dv.setUint16(offset + REC_KEY_LENGTH, keyLength, true)
  dv.setUint32(offset + REC_VALUE_LENGTH, value.byteLength, true)
  dv.setFloat64(offset + REC_WRITE_TIME, writeTime, true)
  dv.setFloat64(offset + REC_EXPIRES_AT, expiresAt, true)
  const keyAt = offset + RECORD_HEADER_BYTES
  if (typeof key !== 'string') u8.set(key, keyAt)
  else if (keyLength === key.length && keyLength <= SHORT_ASCII_KEY) {
    // UTF-8 as long as UTF-16 means every unit is ASCII: copying the char codes beats a call into the encoder.
    for (let i = 0; i < keyLength; i++) u8[keyAt + i] = key.charCodeAt(i)
  } else u8.write(key, keyAt, keyLength, 'utf8')
  u8.set(value, offset + RECORD_HEADER_BYTES + keyLength)
  return crc32c(0, u8, offset + REC_FLAGS, length - REC_FLAGS)
}

/**
 * Marks a claimed range as a record in progress, before any of its bytes are
 * written, so a writer that dies mid-record leaves a hole of known size, and
 * then records whose claim it is. The word goes first: a reader that saw a
 * zero word and then finds bytes re-reads it, and so never takes the pid for
 * damage. Recovery checks that a claim ends on a record boundary.
 */
export function markPending(view: ByteView, offset: number, length: number): void {
  Atomics.store(view.commitWords!, (offset + REC_LENGTH) >>> 2, (length | PENDING_BIT) >>> 0)
  Atomics.store(view.commitWords!, (offset + REC_CLAIM_PID) >>> 2, process.pid)
}

/** Host-order scratch for composing the 64-bit publication word. */
const pair = new Uint32Array(2)
const pairWord = new BigUint64Array(pair.buffer)

/**
 * Publishes a written record: its length and CRC in one atomic 64-bit store,
 * last of all, so a reader in any thread or process that sees the length also
 * sees the bytes written before it, and a reader that sees the word pending
 * still reads the claimer's pid beside it.
 */
export function publishRecord(view: ByteView, offset: number, length: number, crc: number): void {
  pair[0] = length
  pair[1] = crc
  Atomics.store(view.claimWords!, (offset + REC_LENGTH) >>> 3, pairWord[0])
}

/**
 * The pid recorded with the pending claim at `offset`, read together with its
 * commit word: 0 when it is not stored yet, undefined when the word is no
 * longer pending.
 */
export function claimPid(view: ByteView, offset: number): number | undefined {
  if (view.claimWords === undefined) {
    const commit = view.dv.getUint32(offset + REC_LENGTH, true)
    return (commit & PENDING_BIT) === 0 ? undefined : view.dv.getUint32(offset + REC_CLAIM_PID, true)
  }
  pairWord[0] = Atomics.load(view.claimWords, (offset + REC_LENGTH) >>> 3)
  return (pair[0] & PENDING_BIT) === 0 ? undefined : pair[1]
}

export function writeEndMarker(commitWords: Uint32Array, offset: number): void {
  Atomics.store(commitWords, (offset + REC_LENGTH) >>> 2, END_MARKER)
}

/**
 * The length of the valid record at `offset`, or 0 when the bytes there are
 * not one: a zero or impossible length, fields that disagree with it, a flag
 * this version never writes, a record running past `limit`, or (when
 * `verifyCrc`) a CRC32C mismatch. The cheap checks come first so resync can
 * try every aligned offset without computing a CRC at most of them.
 */
export function checkRecord(view: ByteView, offset: number, limit: number, verifyCrc: boolean): number {
  const { u8, dv } = view
  if (offset + RECORD_HEADER_BYTES > limit) return 0
  const length = loadCommitWord(view, offset)
  if (length < RECORD_HEADER_BYTES || (length & PENDING_BIT) !== 0 || offset + length > limit) return 0
  const keyLength = dv.getUint16(offset + REC_KEY_LENGTH, true)
  if (keyLength === 0) return 0
  if (RECORD_HEADER_BYTES + keyLength + dv.getUint32(offset + REC_VALUE_LENGTH, true) !== length) return 0
  if ((dv.getUint16(offset + REC_FLAGS, true) & ~KNOWN_FLAGS) !== 0) return 0
  if (verifyCrc && dv.getUint32(offset + REC_CRC, true) !== crc32c(0, u8, offset + REC_FLAGS, length - REC_FLAGS)) return 0
  return length
}

/** Decodes the fields of a record that `checkRecord` accepted. */
export function decodeRecord(view: ByteView, offset: number): RecordInfo {
  const { dv } = view
  const keyLength = dv.getUint16(offset + REC_KEY_LENGTH, true)
  const valueLength = dv.getUint32(offset + REC_VALUE_LENGTH, true)
  return {
    offset,
    length: RECORD_HEADER_BYTES + keyLength + valueLength,
    flags: dv.getUint16(offset + REC_FLAGS, true),
    writeTime: dv.getFloat64(offset + REC_WRITE_TIME, true),
    expiresAt: dv.getFloat64(offset + REC_EXPIRES_AT, true),
    keyOffset: offset + RECORD_HEADER_BYTES,
    keyLength,
    valueOffset: offset + RECORD_HEADER_BYTES + keyLength,
    valueLength,
  }
}

/** A record read back: its key and value bytes, with its fields. */
export interface StoredRecord {
  flags: number
  writeTime: number
  expiresAt: number
  key: Uint8Array
  value: Uint8Array
}

/**
 * The record that `checkRecord` accepted at `offset`, with plain Uint8Array
 * views for key and value (half the cost of Buffer views on the read path).
 * With `copy`, key and value are first copied out together into memory of
 * their own; otherwise they are views of `view`'s memory.
 */
export function storedRecord(view: ByteView, offset: number, copy: boolean): StoredRecord {
  const { u8, dv } = view
  const keyLength = dv.getUint16(offset + REC_KEY_LENGTH, true)
  const valueLength = dv.getUint32(offset + REC_VALUE_LENGTH, true)
  let bytes: Uint8Array = u8
  let keyAt = offset + RECORD_HEADER_BYTES
  if (copy) {
    // Node's pooled slab for small records: a fresh ArrayBuffer per read costs far more than the copy.
    bytes = Buffer.allocUnsafe(keyLength + valueLength)
    u8.copy(bytes, 0, keyAt, keyAt + keyLength + valueLength)
    keyAt = 0
  }
  keyAt += bytes.byteOffset
  return {
    flags: dv.getUint16(offset + REC_FLAGS, true),
    writeTime: dv.getFloat64(offset + REC_WRITE_TIME, true),
    expiresAt: dv.getFloat64(offset + REC_EXPIRES_AT, true),
    key: new Uint8Array(bytes.buffer, keyAt, keyLength),
    value: new Uint8Array(bytes.buffer, keyAt + keyLength, valueLength),
  }
}

/** True when bytes[from, to) are all zero: what an unpublished claim looks like. */
export function isZero(u8: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (u8[i] !== 0) return false
  return true
}
