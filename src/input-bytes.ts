import { SpillwayError } from './errors.js'
import { MAX_KEY_BYTES } from './journal/format.js'

/**
 * Checks a caller's key and gives its length in UTF-8, the form it takes on
 * disk. The key itself is encoded later, straight into the journal.
 */
export function keyByteLength(key: unknown): number {
  if (key instanceof Uint8Array) {
    if (key.byteLength === 0) throw new SpillwayError('ERR_KEY_INVALID', 'key must not be empty')
    return checkEncodedKeyLength(key.byteLength)
  }
  checkKeyString(key)
  return checkEncodedKeyLength(Buffer.byteLength(key, 'utf8'))
}

/**
 * The checks a string key passes before it is encoded: not empty, not
 * certainly too long, well-formed. Throws ERR_KEY_INVALID or
 * ERR_KEY_TOO_LARGE; anything that is not a string gets ERR_KEY_INVALID.
 */
export function checkKeyString(key: unknown): asserts key is string {
  checkKeyShape(key)
  checkWellFormed(key)
}

/** checkKeyString without the well-formedness check, for a caller that makes it only for keys not all ASCII. */
export function checkKeyShape(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw notAString(key)
  if (key.length === 0) throw new SpillwayError('ERR_KEY_INVALID', 'key must be a non-empty string; got an empty string')
  if (key.length > MAX_KEY_BYTES) throw keyTooLarge(key.length, true)
}

export function checkWellFormed(key: string): void {
  // Lone surrogates would all encode as U+FFFD, so two different keys could share one stored form.
  if (!key.isWellFormed()) throw new SpillwayError('ERR_KEY_INVALID', 'key must be well-formed UTF-16 (it holds a lone surrogate)')
}

/** A key's UTF-8 length, checked against the limit. */
export function checkEncodedKeyLength(bytes: number): number {
  if (bytes > MAX_KEY_BYTES) throw keyTooLarge(bytes, false)
  return bytes
}

function notAString(key: unknown): SpillwayError {
  return new SpillwayError('ERR_KEY_INVALID', `key must be a string; got ${key === null ? 'null' : typeof key}`)
}

function keyTooLarge(bytes: number, atLeast: boolean): SpillwayError {
  return new SpillwayError('ERR_KEY_TOO_LARGE', `key must be at most ${MAX_KEY_BYTES} UTF-8 bytes; got ${atLeast ? 'at least ' : ''}${bytes}`)
}

export function valueBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  throw new SpillwayError('ERR_VALUE_INVALID', `value must be a Buffer, a Uint8Array or a string; got ${value === null ? 'null' : typeof value}`)
}
