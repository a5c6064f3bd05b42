import { mix32 } from './key-hash.js'

/**
 * A plain bloom filter over 32-bit key hashes. Probes come from double hashing
 * (Kirsch and Mitzenmacher): h1 + i·h2, with h2 derived from h1 by one more
 * mix, so a probe costs no extra pass over the key. Deriving h2 from h1 puts a
 * floor of 2^-32 under the false-positive rate, far below what the sizing aims
 * for.
 */
export class BloomFilter {
  readonly bits: Uint32Array
  readonly bitCount: number
  readonly hashCount: number

  constructor(bitCount: number, hashCount: number, bits?: Uint32Array) {
    this.bitCount = Math.max(64, Math.ceil(bitCount / 32) * 32)
    this.hashCount = hashCount
    this.bits = bits ?? new Uint32Array(this.bitCount / 32)
  }

  /** Sized for `keys` entries at about `bitsPerKey` bits each; 10 gives about 1 % false positives. */
  static forKeys(keys: number, bitsPerKey = 10): BloomFilter {
    const hashCount = Math.max(1, Math.min(16, Math.round(bitsPerKey * Math.LN2)))
    return new BloomFilter(Math.max(1, keys) * bitsPerKey, hashCount)
  }

  add(hash: number): void {
    const m = this.bitCount
    const h2 = mix32(hash ^ 0x9e3779b9) | 1
    let h = hash >>> 0
    for (let i = 0; i < this.hashCount; i++) {
      const bit = h % m
      this.bits[bit >>> 5] |= 1 << (bit & 31)
      h = (h + h2) >>> 0
    }
  }

  /** False means the key was never added; true means it may have been. */
  mayContain(hash: number): boolean {
    const m = this.bitCount
    const h2 = mix32(hash ^ 0x9e3779b9) | 1
    let h = hash >>> 0
    for (let i = 0; i < this.hashCount; i++) {
      const bit = h % m
      if ((this.bits[bit >>> 5] & (1 << (bit & 31))) === 0) return false
      h = (h + h2) >>> 0
    }
    return true
  }

  clear(): void {
    this.bits.fill(0)
  }
}
