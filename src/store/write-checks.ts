import { SpillwayError } from '../errors.js'
import { alignRecord, HEADER_BYTES } from '../journal/format.js'
import { recordLength } from '../journal/record.js'

/* Checks a set makes before it changes anything. */

/** Bytes of a record's value: the tag block and its length word, then the payload. */
export function storedBytes(payloadBytes: number, tagBlock: Uint8Array | undefined): number {
  return tagBlock === undefined ? payloadBytes : 2 + tagBlock.byteLength + payloadBytes
}

export function fitsJournal(keyBytes: number, valueBytes: number, journalBytes: number): boolean {
  return alignRecord(recordLength(keyBytes, valueBytes)) <= journalBytes - HEADER_BYTES
}

/** Throws ERR_KEY_TOO_LARGE or ERR_VALUE_TOO_LARGE for a record no journal of this size can hold. */
export function checkFitsJournal(keyBytes: number, callerBytes: number, stored: number, journalBytes: number): void {
  if (!fitsJournal(keyBytes, 0, journalBytes)) {
    throw new SpillwayError('ERR_KEY_TOO_LARGE', `key of ${keyBytes} bytes does not fit in a ${journalBytes}-byte journal with its record header`)
  }
  if (!fitsJournal(keyBytes, stored, journalBytes)) {
    throw new SpillwayError('ERR_VALUE_TOO_LARGE',
      `value of ${callerBytes} bytes (${stored} as stored) does not fit with its key of ${keyBytes} bytes in a ${journalBytes}-byte journal`)
  }
}

/** The expiry time of a write with `ttl`, or 0 for none; throws ERR_VALUE_INVALID for a bad ttl. */
export function expiryOf(ttl: unknown, now: number): number {
  if (ttl === undefined) return 0
  if (typeof ttl !== 'number' || !(ttl > 0) || !Number.isFinite(ttl)) {
    throw new SpillwayError('ERR_VALUE_INVALID', `ttl must be a positive, finite number of milliseconds; got ${String(ttl)}`)
  }
  return now + ttl
}
