import { SpillwayError } from './errors.js'
import { MAX_KEY_BYTES } from './journal/format.js'

/**
 * Turns caller keys into the UTF-8 bytes stored on disk, checking them on the
 * way. One scratch buffer serves every call: the bytes are copied into a
 * journal before the next key is encoded.
 */
export class KeyEncoder {
  // A UTF-16 code unit takes at most 3 UTF-8 bytes, so this always fits.
  #scratch = Buffer.allocUnsafeSlow(MAX_KEY_BYTES * 3)

  encode(key: unknown): Uint8Array {
    if (typeof key === 'string') {
      if (key.length === 0) throw new SpillwayError('ERR_KEY_INVALID', 'key must be a non-empty string; got an empty string')
      if (key.length > MAX_KEY_BYTES) throw keyTooLarge(key.length, true)
      // Lone surrogates would all encode as U+FFFD, so two different keys could share one stored form.
      if (!key.isWellFormed()) throw new SpillwayError('ERR_KEY_INVALID', 'key must be well-formed UTF-16 (it holds a lone surrogate)')
      const n = this.#scratch.write(key, 0, 'utf8')
      if (n > MAX_KEY_BYTES) throw keyTooLarge(n, false)
      return this.#scratch.subarray(0, n)
    }
    if (key instanceof Uint8Array) {
      if (key.byteLength === 0) throw new SpillwayError('ERR_KEY_INVALID', 'key must not be empty')
      if (key.byteLength > MAX_KEY_BYTES) throw keyTooLarge(key.byteLength, false)
      return key
    }
    throw new SpillwayError('ERR_KEY_INVALID', `key must be a string; got ${key === null ? 'null' : typeof key}`)
  }
}

function keyTooLarge(bytes: number, atLeast: boolean): SpillwayError {
  return new SpillwayError('ERR_KEY_TOO_LARGE', `key must be at most ${MAX_KEY_BYTES} UTF-8 bytes; got ${atLeast ? 'at least ' : ''}${bytes}`)
}

export function valueBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new SpillwayError('ERR_VALUE_INVALID', `value must be a Buffer, a Uint8Array or a string; got ${value === null ? 'null' : typeof value}`)
}
