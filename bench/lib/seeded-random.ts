/** Seeded randomness for benchmark workloads: the same keys and sizes on every run and in every process. */
/** A small seeded generator (xorshift32), in [0, 1). */
export function xorshift(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s / 2 ** 32
  }
}
