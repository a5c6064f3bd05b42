import { BloomFilter } from '../bloom-filter.js'
import { crc32c } from '../checksum.js'
import { BLOOM_HEADER_BYTES, BLOOM_MAGIC, FORMAT_VERSION } from './format.js'

/**
 * The bloom sidecar (FORMAT.md §Bloom sidecar) of a sealed journal: which keys
 * it may hold, so a warm start probes only journals that answer "maybe".
 */
export function encodeBloomSidecar(filter: BloomFilter, journalId: number): Uint8Array {
  const bitBytes = filter.bitCount / 8
  const bytes = new Uint8Array(BLOOM_HEADER_BYTES + bitBytes)
  const dv = new DataView(bytes.buffer)
  dv.setUint32(0, BLOOM_MAGIC, true)
  dv.setUint32(4, FORMAT_VERSION, true)
  dv.setUint32(8, journalId, true)
  dv.setUint32(12, filter.hashCount, true)
  dv.setUint32(16, filter.bitCount, true)
  for (let i = 0; i < filter.bits.length; i++) dv.setUint32(BLOOM_HEADER_BYTES + i * 4, filter.bits[i], true)
  dv.setUint32(20, crc32c(crc32c(0, bytes, 0, 20), bytes, BLOOM_HEADER_BYTES, bitBytes), true)
  return bytes
}

/** The filter a sidecar holds, or the reason it was refused. */
export function decodeBloomSidecar(bytes: Uint8Array, journalId: number): BloomFilter | { refused: string } {
  if (bytes.byteLength < BLOOM_HEADER_BYTES) return { refused: 'too short' }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (dv.getUint32(0, true) !== BLOOM_MAGIC) return { refused: 'bad magic number' }
  if (dv.getUint32(4, true) !== FORMAT_VERSION) return { refused: `format version ${dv.getUint32(4, true)}` }
  const hashCount = dv.getUint32(12, true)
  const bitCount = dv.getUint32(16, true)
  if (bitCount % 32 !== 0 || bitCount === 0 || BLOOM_HEADER_BYTES + bitCount / 8 !== bytes.byteLength) return { refused: 'bad size' }
  if (dv.getUint32(20, true) !== crc32c(crc32c(0, bytes, 0, 20), bytes, BLOOM_HEADER_BYTES, bitCount / 8)) {
    return { refused: 'CRC32C mismatch' }
  }
  if (dv.getUint32(8, true) !== journalId) return { refused: `written for journal ${dv.getUint32(8, true)}` }
  const bits = new Uint32Array(bitCount / 32)
  for (let i = 0; i < bits.length; i++) bits[i] = dv.getUint32(BLOOM_HEADER_BYTES + i * 4, true)
  return new BloomFilter(bitCount, hashCount, bits)
}
