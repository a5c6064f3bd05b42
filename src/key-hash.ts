/**
 * A 32-bit hash of key bytes: MurmurHash3 (x86, 32-bit) with Math.imul, so it
 * runs on small integers with no allocation. Keys are hashed as UTF-8 bytes,
 * the form they take on disk, so hint files and bloom sidecars rebuild the
 * same hashes without decoding a key to a string.
 */
const C1 = 0xcc9e2d51
const C2 = 0x1b873593

export function hashKey(bytes: Uint8Array, offset: number, length: number, seed = 0): number {
  let h = seed | 0
  const end4 = offset + (length & ~3)
  let i = offset
  for (; i < end4; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24)
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, C2)
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const rest = length & 3
  if (rest > 0) {
    let k = bytes[i]
    if (rest > 1) k |= bytes[i + 1] << 8
    if (rest > 2) k |= bytes[i + 2] << 16
    k = Math.imul(k, C1)
    k = (k << 15) | (k >>> 17)
    h ^= Math.imul(k, C2)
  }
  return mix32(h ^ length)
}

/** MurmurHash3's finaliser: every input bit affects every output bit. */
export function mix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
