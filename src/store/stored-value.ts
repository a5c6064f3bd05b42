import { compress, uncompress } from 'snappyjs'
import { SpillwayError } from '../errors.js'
import { FLAG_COMPRESSED, FLAG_TAGGED } from '../journal/format.js'

/**
 * What a value looks like in a record (FORMAT.md §Tag block): the tag block
 * first when there are tags, then the payload, snappy-compressed when that
 * makes it smaller. snappyjs, not the native `snappy` package: on this
 * project's machines the native one is no faster at 1 and 4 KiB and slower
 * at 16 KiB (bench/results/compression.md), and a pure-JS codec needs no
 * prebuilt binary to load, nor a fallback when one fails to.
 */
export interface EncodedValue {
  flags: number
  bytes: Uint8Array
}

/** FORMAT.md §Tag block: tags-length is a u16. */
export const MAX_TAG_BLOCK_BYTES = 0xffff

/** `tagBlock` is encodeTags' result, or undefined for an untagged value. */
export function encodeValue(value: Uint8Array, tagBlock: Uint8Array | undefined, compressFrom: number): EncodedValue {
  let flags = 0
  let payload = value
  if (value.byteLength >= compressFrom) {
    const packed = compress(value)
    if (packed.byteLength < value.byteLength) {
      payload = packed
      flags |= FLAG_COMPRESSED
    }
  }
  if (tagBlock === undefined) return { flags, bytes: payload }
  const bytes = new Uint8Array(2 + tagBlock.byteLength + payload.byteLength)
  new DataView(bytes.buffer).setUint16(0, tagBlock.byteLength, true)
  bytes.set(tagBlock, 2)
  bytes.set(payload, 2 + tagBlock.byteLength)
  return { flags: flags | FLAG_TAGGED, bytes }
}

/**
 * The caller's bytes in a stored value: a view of `stored`, valid as long as
 * it is, or for a compressed value a new array of their own.
 */
export function valuePayload(stored: Uint8Array, flags: number): Uint8Array {
  let payload = stored
  if ((flags & FLAG_TAGGED) !== 0) {
    const blockLength = stored[0] | (stored[1] << 8)
    payload = stored.subarray(2 + blockLength)
  }
  return (flags & FLAG_COMPRESSED) !== 0 ? uncompress(payload) : payload
}

/** The caller's bytes back from a stored value, as a Buffer the caller owns. */
export function decodeValue(stored: Uint8Array, flags: number): Buffer {
  const payload = valuePayload(stored, flags)
  return (flags & FLAG_COMPRESSED) !== 0 ? Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength) : Buffer.from(payload)
}

/** Checks tags (non-empty strings with no NUL, the block under 64 KiB) and joins them with NUL; undefined for no tags. */
export function encodeTags(tags: readonly string[]): Uint8Array | undefined {
  if (!Array.isArray(tags)) throw new SpillwayError('ERR_VALUE_INVALID', `tags must be an array of strings; got ${tags === null ? 'null' : typeof tags}`)
  if (tags.length === 0) return undefined
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.includes('\0') || !tag.isWellFormed()) {
      throw new SpillwayError('ERR_VALUE_INVALID', `each tag must be a non-empty, well-formed string without NUL; got ${JSON.stringify(tag)}`)
    }
  }
  const block = Buffer.from([...new Set(tags)].join('\0'), 'utf8')
  if (block.byteLength > MAX_TAG_BLOCK_BYTES) throw new SpillwayError('ERR_VALUE_TOO_LARGE', `tags must take at most ${MAX_TAG_BLOCK_BYTES} bytes; got ${block.byteLength}`)
  return block
}

/** The tags in a tag block (as hint files and replay hand it over). */
export function decodeTags(block: Uint8Array): string[] {
  return Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString('utf8').split('\0')
}
