import { SpillwayError } from './errors.js'
import { MAX_KEY_BYTES } from './journal/format.js'

/**
 * Checks a caller's key and gives its length in UTF-8, the form it takes on
 * disk. The key itself is encoded later, straight into the journal.
 */
export function keyByteLength(key: unknown): number {
  if (typeof key === 'string') {
    if (key.length === 0) throw new SpillwayError('ERR_KEY_INVALID', 'key must be a non-empty string; got an empty string')
    if (key.length > MAX_KEY_BYTES) throw keyTooLarge(key.length, true)
    // Lone surrogates would all encode as U+FFFD, so two different keys could share one stored form.
    if (!key.isWellFormed()) throw new SpillwayError('ERR_KEY_INVALID', 'key must be well-formed UTF-16 (it holds a lone surrogate)')
    const n = Buffer.byteLength(key, 'utf8')
    if (n > MAX_KEY_BYTES) throw keyTooLarge(n, false)
    return n
  }
  if (key instanceof Uint8Array) {
    if (key.byteLength === 0) throw new SpillwayError('ERR_KEY_INVALID', 'key must not be empty')
    if (key.byteLength > MAX_KEY_BYTES) throw keyTooLarge(key.byteLength, false)
    return key.byteLength
  }
  throw new SpillwayError('ERR_KEY_INVALID', `key must be a string; got ${key === null ? 'null' : typeof key}`)
}

function keyTooLarge(bytes: number, atLeast: boolean): SpillwayError {
  return new SpillwayError('ERR_KEY_TOO_LARGE', `key must be at most ${MAX_KEY_BYTES} UTF-8 bytes; got ${atLeast ? 'at least ' : ''}${bytes}`)
}

export function valueBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new SpillwayError('ERR_VALUE_INVALID', `value must be a Buffer, a Uint8Array or a string; got ${value === null ? 'null' : typeof value}`)
}
