import { SpillwayError } from '../errors.js'

/**
 * What a Cache stores under a key: a small header, then the serializer's
 * bytes. The store forgets an entry at its physical expiry, so to serve a
 * value stale the cache stores it for longer (ttl plus the larger of its
 * stale windows) and keeps the logical deadlines here:
 *
 *   offset  size  field
 *   0       1     magic 0xC7 (a value a plain Store.set wrote is refused, not misread)
 *   1       1     envelope version, 1
 *   2       1     serializer id (serializers.ts: 0 custom, 1 raw, 2 json, 3 v8, 4 msgpack)
 *   3       1     reserved, 0
 *   4       8     freshUntil: f64 LE, ms on the store's clock; 0 = fresh for ever
 *   12      8     staleWhileRevalidateUntil: f64 LE; 0 = never served stale for a refresh
 *   20      8     staleIfErrorUntil: f64 LE; 0 = never served stale on a loader error
 *   28      ...   the serializer's bytes
 *
 * All integers are little-endian. A new layout gets a new version; a version
 * this code does not know is a decode failure (a miss), never a misread.
 */
export const ENVELOPE_MAGIC = 0xc7
export const ENVELOPE_VERSION = 1
export const ENVELOPE_HEADER_BYTES = 28

export interface Deadlines {
  freshUntil: number
  staleWhileRevalidateUntil: number
  staleIfErrorUntil: number
}

/** A stored value whose header open() has checked; its fields are read only when asked (a fresh hit reads one). */
export type Envelope = Buffer & { readonly __envelope: true }

/** The envelope around `payload` (bytes, or a string written as UTF-8). */
export function seal(serializerId: number, deadlines: Deadlines, payload: Uint8Array | string): Buffer {
  const payloadBytes = typeof payload === 'string' ? Buffer.byteLength(payload, 'utf8') : payload.byteLength
  const bytes = Buffer.allocUnsafe(ENVELOPE_HEADER_BYTES + payloadBytes)
  bytes[0] = ENVELOPE_MAGIC
  bytes[1] = ENVELOPE_VERSION
  bytes[2] = serializerId
  bytes[3] = 0
  bytes.writeDoubleLE(deadlines.freshUntil, 4)
  bytes.writeDoubleLE(deadlines.staleWhileRevalidateUntil, 12)
  bytes.writeDoubleLE(deadlines.staleIfErrorUntil, 20)
  if (typeof payload === 'string') bytes.write(payload, ENVELOPE_HEADER_BYTES, 'utf8')
  else bytes.set(payload, ENVELOPE_HEADER_BYTES)
  return bytes
}

/** `stored`, its header checked; throws ERR_DESERIALIZE for bytes this cache did not write. */
export function open(stored: Buffer, serializerId: number, key: string): Envelope {
  if (stored.byteLength < ENVELOPE_HEADER_BYTES || stored[0] !== ENVELOPE_MAGIC) {
    throw new SpillwayError('ERR_DESERIALIZE', `the value of key ${JSON.stringify(key)} was not written by a spillway Cache`)
  }
  if (stored[1] !== ENVELOPE_VERSION) {
    throw new SpillwayError('ERR_DESERIALIZE', `the value of key ${JSON.stringify(key)} has envelope version ${stored[1]}; this code reads version ${ENVELOPE_VERSION}`)
  }
  if (stored[2] !== serializerId) {
    throw new SpillwayError('ERR_DESERIALIZE', `the value of key ${JSON.stringify(key)} was written with serializer id ${stored[2]}, not this cache's ${serializerId}`)
  }
  return stored as Envelope
}

/** Whether the value is fresh at `now`. */
export function isFresh(envelope: Envelope, now: number): boolean {
  const freshUntil = envelope.readDoubleLE(4)
  return freshUntil === 0 || now < freshUntil
}

export function staleWhileRevalidateUntil(envelope: Envelope): number {
  return envelope.readDoubleLE(12)
}

export function staleIfErrorUntil(envelope: Envelope): number {
  return envelope.readDoubleLE(20)
}

/** The serializer's bytes. */
export function payloadOf(envelope: Envelope): Buffer {
  return envelope.subarray(ENVELOPE_HEADER_BYTES)
}
