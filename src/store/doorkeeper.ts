import { BloomFilter } from '../bloom-filter.js'

/**
 * Admission by second sighting (TinyLFU's doorkeeper): a key reaches disk
 * only when it was already seen within the window, so one-hit wonders cost
 * no disk write. Two bloom filter generations age the memory: when the
 * current one has taken `window` keys it becomes the previous one, and the
 * old previous one is forgotten.
 */
export class Doorkeeper {
  #current: BloomFilter
  #previous: BloomFilter
  #added = 0
  readonly window: number

  constructor(window: number) {
    this.window = window
    this.#current = BloomFilter.forKeys(window)
    this.#previous = BloomFilter.forKeys(window)
  }

  /** Records a sighting; true when the key had been seen before within the window. */
  admit(hash: number): boolean {
    if (this.#current.mayContain(hash) || this.#previous.mayContain(hash)) return true
    this.#current.add(hash)
    if (++this.#added >= this.window) {
      const reuse = this.#previous
      reuse.clear()
      this.#previous = this.#current
      this.#current = reuse
      this.#added = 0
    }
    return false
  }
}
