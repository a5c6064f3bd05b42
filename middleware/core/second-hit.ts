/**
 * Admission on the second miss (nginx's `proxy_cache_min_uses 2`, TinyLFU's
 * doorkeeper): a URL's response is stored only when it is at least the
 * second request for that URL that the cache could not answer. A flood of
 * unique URLs (random query strings on a route that ignores them) then
 * stores nothing, so it pushes nothing out of either tier, at the price of
 * one more origin call per URL. Requests that wait on a concurrent fetch
 * count too, so a burst of first requests still makes one origin call.
 * Unlike the store's own 'second-hit' admission, what is stored goes to disk
 * at once: it survives a restart and other processes sharing the directory
 * see it.
 *
 * A count-min sketch of small counters in one typed array (no object per
 * URL). After `window` misses every counter is halved, so sightings age
 * out. An overestimate only admits a URL one miss early.
 */
export class SecondHit {
  readonly #counts: Uint8Array
  readonly #mask: number
  readonly #window: number
  #misses = 0

  constructor(window: number) {
    this.#window = window
    // About 8 counters per URL in the window, four probes: few overestimates.
    const size = Math.max(1024, 2 ** Math.ceil(Math.log2(window * 8)))
    this.#counts = new Uint8Array(size)
    this.#mask = size - 1
  }

  /** Records a request for `key` that the cache could not answer. */
  sawMiss(key: string): void {
    const h1 = fnv1a(key)
    const h2 = (Math.imul(h1, 0x9e3779b1) >>> 15) | 1
    for (let i = 0; i < 4; i++) {
      const slot = (h1 + Math.imul(i, h2)) & this.#mask
      if (this.#counts[slot] < 255) this.#counts[slot]++
    }
    if (++this.#misses >= this.#window) {
      this.#misses = 0
      for (let i = 0; i < this.#counts.length; i++) this.#counts[i] >>>= 1
    }
  }

  /** Whether `key` has been missed at least twice (this miss included) within the window. */
  admits(key: string): boolean {
    const h1 = fnv1a(key)
    const h2 = (Math.imul(h1, 0x9e3779b1) >>> 15) | 1
    for (let i = 0; i < 4; i++) if (this.#counts[(h1 + Math.imul(i, h2)) & this.#mask] < 2) return false
    return true
  }
}

function fnv1a(text: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193)
  return hash >>> 0
}
