import { crc32c as tableCrc32c } from './crc32c.js'
import { crc32cHardware, mapping } from './native.js'

/**
 * CRC32C with whichever implementation is faster at the given length. The
 * SSE4.2 instruction behind the addon wins from about 64 bytes up; below
 * that, the cost of crossing into native code outweighs it and the
 * slicing-by-8 table in TypeScript is faster (bench/crc32c.ts measures both).
 */
const NATIVE_FROM_BYTES = 64
const nativeCrc32c = mapping.name === 'mmap' && crc32cHardware() ? mapping.crc32c : undefined

export function crc32c(crc: number, bytes: Uint8Array, offset: number, length: number): number {
  return nativeCrc32c !== undefined && length >= NATIVE_FROM_BYTES
    ? nativeCrc32c(crc, bytes, offset, length)
    : tableCrc32c(crc, bytes, offset, length)
}
