import v8 from 'node:v8'
import { Packr } from 'msgpackr'

/** Turns a cache's values into bytes and back. `decode(encode(v))` must give back a value of the type `v` had. */
export interface Serializer<T = unknown> {
  encode(value: T): Uint8Array | string
  decode(bytes: Buffer): T
}

export type SerializerName = 'raw' | 'json' | 'v8' | 'msgpack'
export type SerializerOption<T> = SerializerName | Serializer<T>
/** CacheClientOptions.serializer's default. */
export const DEFAULT_SERIALIZER: SerializerName = 'msgpack'

/** A serializer and the id the envelope records (envelope.ts), so a cache never decodes another serializer's bytes. */
export interface ResolvedSerializer<T> {
  id: number
  name: string
  encode(value: T): Uint8Array | string
  decode(bytes: Buffer): T
}

/** Envelope serializer ids; 0 is every custom serializer. */
const IDS: Record<SerializerName, number> = { raw: 1, json: 2, v8: 3, msgpack: 4 }

/** The kind byte of a raw value: what it went in as, so it comes back as that. */
const RAW_BUFFER = 0
const RAW_STRING = 1
const RAW_UINT8ARRAY = 2

/**
 * 'raw': Buffers, Uint8Arrays and strings, stored as their bytes behind one
 * byte saying which of the three went in.
 */
const raw: Serializer<unknown> = {
  encode(value) {
    if (typeof value === 'string') {
      const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(value, 'utf8'))
      bytes[0] = RAW_STRING
      bytes.write(value, 1, 'utf8')
      return bytes
    }
    if (value instanceof Uint8Array) {
      const bytes = Buffer.allocUnsafe(1 + value.byteLength)
      bytes[0] = Buffer.isBuffer(value) ? RAW_BUFFER : RAW_UINT8ARRAY
      bytes.set(value, 1)
      return bytes
    }
    throw new TypeError(`the raw serializer takes a Buffer, a Uint8Array or a string; got ${describe(value)}`)
  },
  decode(bytes) {
    const body = bytes.subarray(1)
    switch (bytes[0]) {
      case RAW_BUFFER: return body
      case RAW_STRING: return body.toString('utf8')
      case RAW_UINT8ARRAY: return new Uint8Array(body.buffer, body.byteOffset, body.byteLength)
      default: throw new TypeError(`unknown raw value kind ${bytes[0]}`)
    }
  },
}

/**
 * 'json', strict: only what JSON gives back as it was (null, booleans,
 * finite numbers, strings, arrays and plain objects). A Date, a Map, a
 * BigInt, NaN, a function or a class instance is refused rather than stored
 * as something else. Object properties holding undefined are dropped, as JSON
 * drops them.
 */
const json: Serializer<unknown> = {
  encode(value) {
    const text = JSON.stringify(value, strictJson)
    // JSON.stringify gives undefined for a top-level function, symbol or undefined.
    if (text === undefined) throw new TypeError(`JSON cannot hold ${describe(value)}`)
    return text
  },
  decode(bytes) {
    return JSON.parse(bytes.toString('utf8'))
  },
}

function strictJson(this: Record<string, unknown>, key: string, value: unknown): unknown {
  // `value` has been through toJSON already (a Date is a string by now): judge what the caller put in.
  const original = this[key]
  switch (typeof original) {
    case 'string':
    case 'boolean':
      return value
    case 'number':
      if (!Number.isFinite(original)) throw new TypeError(`JSON cannot hold ${original} (at ${JSON.stringify(key)})`)
      return value
    case 'undefined':
      if (Array.isArray(this)) throw new TypeError(`JSON cannot hold undefined in an array (at ${key})`)
      return value
    case 'object': {
      if (original === null || Array.isArray(original)) return value
      const proto = Object.getPrototypeOf(original)
      if (proto === Object.prototype || proto === null) return value
      throw new TypeError(`JSON cannot hold a ${proto?.constructor?.name ?? 'non-plain object'} (at ${JSON.stringify(key)}); use the v8 or msgpack serializer`)
    }
    default:
      throw new TypeError(`JSON cannot hold ${describe(original)} (at ${JSON.stringify(key)})`)
  }
}

/** 'v8': node:v8's structured clone (Dates, Maps, Sets, BigInts, typed arrays, Buffers, cycles); functions and symbols are refused. */
const structuredClone: Serializer<unknown> = {
  encode: (value) => v8.serialize(value),
  decode: (bytes) => v8.deserialize(bytes),
}

/**
 * 'msgpack' by msgpackr, with its structured-clone extensions (Dates, Maps,
 * Sets, BigInts, typed arrays, Buffers, cycles); each value is
 * self-describing, so any process decodes it. A function, which msgpackr
 * would silently store as undefined, is refused.
 */
function msgpack(): Serializer<unknown> {
  const packr = new Packr({ structuredClone: true, int64AsType: 'bigint', useBigIntExtension: true })
  ;(packr as unknown as { writeFunction: (fn: unknown) => never }).writeFunction = (fn) => {
    throw new TypeError(`msgpack cannot hold ${describe(fn)}`)
  }
  return { encode: (value) => packr.pack(value), decode: (bytes) => packr.unpack(bytes) }
}

const BUILT_IN: Record<SerializerName, () => Serializer<unknown>> = { raw: () => raw, json: () => json, v8: () => structuredClone, msgpack }

/** The serializer an option names, or the caller's own; throws a TypeError for anything else. */
export function resolveSerializer<T>(option: unknown): ResolvedSerializer<T> {
  if (typeof option === 'string' && Object.hasOwn(BUILT_IN, option)) {
    const name = option as SerializerName
    const { encode, decode } = BUILT_IN[name]() as Serializer<T>
    return { id: IDS[name], name, encode, decode }
  }
  if (option !== null && typeof option === 'object' &&
      typeof (option as Serializer<T>).encode === 'function' && typeof (option as Serializer<T>).decode === 'function') {
    const custom = option as Serializer<T>
    return { id: 0, name: 'custom', encode: (value) => custom.encode(value), decode: (bytes) => custom.decode(bytes) }
  }
  throw new TypeError(`Cache options.serializer must be 'raw', 'json', 'v8', 'msgpack' or an object with encode and decode functions; got ${describe(option)}`)
}

export function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'function') return `a function${value.name ? ` (${value.name})` : ''}`
  if (typeof value === 'object') return `a ${Object.getPrototypeOf(value)?.constructor?.name ?? 'null-prototype object'}`
  if (typeof value === 'string') return 'a string'
  return `${typeof value} ${String(value)}`
}
