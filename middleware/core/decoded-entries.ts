import { bodyOffset } from './cached-response.js'

const NO_BODY = Buffer.alloc(0)

/**
 * Decodes stored responses, each head at most once where that can be told
 * cheaply. A heap-tier hit hands back the tier's own Buffer, the same object
 * each time: a WeakMap on it finds the decoding. A disk-tier hit hands back
 * fresh bytes each time: when the head's bytes equal those of the last head
 * decoded under the same key, that decoding (the JSON, the costly part) is
 * reused and only the body is taken from the new bytes.
 * Decoding is a function of the bytes alone, so a reuse can never be stale.
 */
export class DecodedEntries<T extends { body: Buffer }> {
  readonly #decode: (bytes: Buffer) => T | undefined
  readonly #maxKeys: number
  readonly #byBuffer = new WeakMap<Buffer, T>()
  /** Key → the last head decoded under it, and its decoding without a body (a body could be megabytes). */
  readonly #lastHead = new Map<string, { head: Buffer; decoded: T }>()

  constructor(decode: (bytes: Buffer) => T | undefined, maxKeys = 1024) {
    this.#decode = decode
    this.#maxKeys = maxKeys
  }

  /** The decoding of `bytes`, stored under `key`; undefined when they are not a response. */
  get(key: string, bytes: Buffer | undefined): T | undefined {
    if (bytes === undefined) return undefined
    let entry = this.#byBuffer.get(bytes)
    if (entry !== undefined) return entry
    const end = bodyOffset(bytes)
    if (end < 0) return undefined
    const last = this.#lastHead.get(key)
    if (last !== undefined && last.head.equals(bytes.subarray(0, end))) {
      entry = { ...last.decoded, body: bytes.subarray(end) }
    } else {
      entry = this.#decode(bytes)
      if (entry === undefined) return undefined
      // Oldest first out: the map is a bounded memo, not a cache anyone relies on.
      if (last === undefined && this.#lastHead.size >= this.#maxKeys) this.#lastHead.delete(this.#lastHead.keys().next().value!)
      this.#lastHead.set(key, { head: Buffer.from(bytes.subarray(0, end)), decoded: { ...entry, body: NO_BODY } })
    }
    this.#byBuffer.set(bytes, entry)
    return entry
  }
}
