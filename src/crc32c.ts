/**
 * CRC32C (Castagnoli, reflected polynomial 0x82F63B78) in plain TypeScript,
 * slicing-by-8. Used by the pread fallback backend and as the reference the
 * native SSE4.2 implementation is tested against.
 *
 * The value passed in and returned is the finalized CRC (the 0xFFFFFFFF
 * pre/post inversion is applied inside), so calls chain:
 * crc32c(crc32c(0, a), b) === crc32c(0, a ++ b).
 */
import { types } from 'node:util'

const POLYNOMIAL = 0x82f63b78

/** Eight 256-entry tables back to back: TABLES[k * 256 + b]. */
const TABLES: Int32Array = (() => {
  const t = new Int32Array(8 * 256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1
    t[i] = c
  }
  for (let i = 0; i < 256; i++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + i]!
      t[k * 256 + i] = (prev >>> 8) ^ t[prev & 0xff]!
    }
  }
  return t
})()

// Word reads through an Int32Array only pay off once the view's allocation is
// amortised, and only give the right byte order on little-endian hosts.
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const WORD_PATH_MIN = 512

function fail(message: string, code: string, Ctor: typeof TypeError | typeof RangeError): never {
  const err = new Ctor(message) as Error & { code: string }
  err.code = code
  throw err
}

function checkIndex(value: unknown, name: string): void {
  if (typeof value !== 'number') {
    fail(`The "${name}" argument must be of type number`, 'ERR_INVALID_ARG_TYPE', TypeError)
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    fail(`The value of "${name}" is out of range. It must be a non-negative safe integer.`,
      'ERR_OUT_OF_RANGE', RangeError)
  }
}

export function crc32c(crc: number, bytes: Uint8Array, offset: number, length: number): number {
  if (typeof crc !== 'number') fail('The "crc" argument must be of type number', 'ERR_INVALID_ARG_TYPE', TypeError)
  if (!types.isUint8Array(bytes) && !types.isUint8ClampedArray(bytes)) {
    fail('The "bytes" argument must be a Uint8Array', 'ERR_INVALID_ARG_TYPE', TypeError)
  }
  checkIndex(offset, 'offset')
  checkIndex(length, 'length')
  if (offset + length > bytes.length) {
    fail('The range [offset, offset + length) is outside the buffer', 'ERR_OUT_OF_RANGE', RangeError)
  }
  if (length === 0) return crc >>> 0

  const t = TABLES
  let c = ~crc | 0
  let i = offset
  const end = offset + length

  if (LITTLE_ENDIAN && length >= WORD_PATH_MIN) {
    // Bytewise up to a 4-byte boundary of the underlying buffer, then whole
    // 8-byte strides read as two aligned words.
    while ((bytes.byteOffset + i) & 3) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8)
    const words = (end - i) >>> 3 << 1
    const view = new Int32Array(bytes.buffer, bytes.byteOffset + i, words)
    for (let w = 0; w < words; w += 2) {
      const lo = view[w]! ^ c
      const hi = view[w + 1]!
      c = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
        t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
        t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^
        t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!
    }
    i += words << 2
  } else {
    for (const stop = end - 7; i < stop; i += 8) {
      const lo = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) ^ c
      const hi = bytes[i + 4]! | (bytes[i + 5]! << 8) | (bytes[i + 6]! << 16) | (bytes[i + 7]! << 24)
      c = t[1792 + (lo & 0xff)]! ^ t[1536 + ((lo >>> 8) & 0xff)]! ^
        t[1280 + ((lo >>> 16) & 0xff)]! ^ t[1024 + (lo >>> 24)]! ^
        t[768 + (hi & 0xff)]! ^ t[512 + ((hi >>> 8) & 0xff)]! ^
        t[256 + ((hi >>> 16) & 0xff)]! ^ t[hi >>> 24]!
    }
  }
  while (i < end) c = t[(c ^ bytes[i++]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}
