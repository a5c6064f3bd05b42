/**
 * Admission on the second miss (nginx's `proxy_cache_min_uses 2`, the
 * doorkeeper of TinyLFU): a URL's response is stored only when the origin
 * has served it once already within the window. A flood of unique URLs
 * (random query strings on a route that ignores them) then stores nothing,
 * so it pushes nothing out of either tier, at the price of one more origin
 * call per URL. Unlike the store's own 'second-hit' admission, what is
 * stored goes to disk at once: it survives a restart and other processes
 * sharing the directory see it.
 *
 * Two bloom filter generations, in typed arrays (no object per key): when
 * the current one has taken `window` keys it becomes the previous one. A
 * false positive only admits a URL one miss early.
 */
export class SecondHit {
  readonly #bits: number
  #current: Uint32Array
  #previous: Uint32Array
  #added = 0
  readonly #window: number

  constructor(window: number) {
    this.#window = window
    // About 10 bits per key: under 1 % false positives with four probes.
    this.#bits = Math.max(1024, 2 ** Math.ceil(Math.log2(window * 10)))
    this.#current = new Uint32Array(this.#bits / 32)
    this.#previous = new Uint32Array(this.#bits / 32)
  }

  /** Records a miss on `key`; true when it had one already within the window. */
  admit(key: string): boolean {
    const h1 = fnv1a(key)
    const h2 = (Math.imul(h1, 0x9e3779b1) >>> 15) | 1
    if (this.#has(this.#current, h1, h2) || this.#has(this.#previous, h1, h2)) return true
    const mask = this.#bits - 1
    for (let i = 0; i < 4; i++) {
      const bit = (h1 + Math.imul(i, h2)) & mask
      this.#current[bit >>> 5] |= 1 << (bit & 31)
    }
    if (++this.#added >= this.#window) {
      const reuse = this.#previous
      reuse.fill(0)
      this.#previous = this.#current
      this.#current = reuse
      this.#added = 0
    }
    return false
  }

  #has(filter: Uint32Array, h1: number, h2: number): boolean {
    const mask = this.#bits - 1
    for (let i = 0; i < 4; i++) {
      const bit = (h1 + Math.imul(i, h2)) & mask
      if ((filter[bit >>> 5] & (1 << (bit & 31))) === 0) return false
    }
    return true
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}
