/**
 * The workload of bench/cluster.ts, built the same way in every process
 * from the same seeds: keys, value sizes and contents, and Zipf-distributed
 * samples of key ranks.
 *
 * - Keys: `String(i).padStart(16, '0')` for i in [0, keys), as bench/store.ts.
 * - Value sizes: log-uniform between 100 B and 4 KiB, fixed per key (a hash
 *   of i), so small values are as common as in real caches; mean ≈ 1.1 KiB.
 * - Value bytes: a window into one seeded random slab (incompressible),
 *   moved by a generation number so that an overwrite changes the value.
 * - Reads and writes: Zipf with exponent 0.99 (YCSB's) over the key ranks,
 *   scrambled by a seeded permutation so that hot keys lie all over the
 *   journals, not in the first one.
 */
import { xorshift } from './seeded-random.js'

export const KEY_BYTES = 16
export const MIN_VALUE_BYTES = 100
export const MAX_VALUE_BYTES = 4096
export const ZIPF_EXPONENT = 0.99
const SLAB_BYTES = 64 * 1024

export function keyOf(i: number): string {
  return String(i).padStart(KEY_BYTES, '0')
}


/** A 32-bit integer hash (murmur3's finalizer): value sizes and slab offsets per key. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b)
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35)
  return (x ^ (x >>> 16)) >>> 0
}

export function valueBytesOf(i: number): number {
  const u = mix32(i + 1) / 2 ** 32
  return Math.round(MIN_VALUE_BYTES * (MAX_VALUE_BYTES / MIN_VALUE_BYTES) ** u)
}

const slab = (() => {
  const rand = xorshift(0xc105e)
  const bytes = Buffer.allocUnsafe(SLAB_BYTES)
  for (let i = 0; i < SLAB_BYTES; i++) bytes[i] = Math.floor(rand() * 256)
  return bytes
})()

/** The value of key `i` at write generation `generation` (0 for the fill): a view into the slab, never copied here. */
export function valueOf(i: number, generation = 0): Buffer {
  const size = valueBytesOf(i)
  const offset = mix32(i ^ Math.imul(generation + 1, 0x9e3779b1)) % (SLAB_BYTES - MAX_VALUE_BYTES)
  return slab.subarray(offset, offset + size)
}

/** Mean value size over the first `keys` keys, for the MB/s column and the disk budget. */
export function meanValueBytes(keys: number): number {
  let sum = 0
  const step = Math.max(1, Math.floor(keys / 100_000))
  let n = 0
  for (let i = 0; i < keys; i += step, n++) sum += valueBytesOf(i)
  return sum / n
}

/**
 * `count` key indices drawn from Zipf(ZIPF_EXPONENT) over `keys` ranks (an
 * inverse-CDF table, then a binary search per draw), each rank mapped to a
 * key through a permutation seeded alike in every process.
 */
export function zipfSamples(keys: number, count: number, seed: number): Uint32Array {
  const cdf = new Float64Array(keys)
  let total = 0
  for (let r = 0; r < keys; r++) {
    total += 1 / (r + 1) ** ZIPF_EXPONENT
    cdf[r] = total
  }
  const perm = Uint32Array.from({ length: keys }, (_, i) => i)
  const shuffle = xorshift(0x5eed)
  for (let i = keys - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1))
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t
  }
  const rand = xorshift(seed)
  const out = new Uint32Array(count)
  for (let s = 0; s < count; s++) {
    const u = rand() * total
    let lo = 0
    let hi = keys - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (cdf[mid] < u) lo = mid + 1
      else hi = mid
    }
    out[s] = perm[lo]
  }
  return out
}

/** The key strings of `indices`, one string per distinct key (so the array costs little beyond the keys drawn). */
export function keyStrings(indices: Uint32Array): string[] {
  const interned = new Map<number, string>()
  return Array.from(indices, (i) => {
    let key = interned.get(i)
    if (key === undefined) interned.set(i, (key = keyOf(i)))
    return key
  })
}
