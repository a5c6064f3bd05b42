import { SpillwayError } from '../errors.js'
import { crc32c } from '../checksum.js'
import {
  FORMAT_VERSION, HDR_CAPACITY, HDR_CRC, HDR_CREATED_AT, HDR_HEADER_BYTES, HDR_JOURNAL_ID, HDR_MAGIC,
  HDR_STATE, HDR_TAIL, HDR_VERSION, HEADER_BYTES, JOURNAL_MAGIC, MAX_JOURNAL_BYTES, MIN_JOURNAL_BYTES,
  STATE_ACTIVE,
} from './format.js'

/** The static fields of a journal header (FORMAT.md §Journal header). */
export interface JournalHeader {
  id: number
  capacity: number
  createdAt: number
}

/** Writes a fresh header for an active, empty journal into the first page. */
export function writeHeader(page: Uint8Array, header: JournalHeader): void {
  const dv = new DataView(page.buffer, page.byteOffset, HEADER_BYTES)
  page.fill(0, 0, HEADER_BYTES)
  dv.setUint32(HDR_MAGIC, JOURNAL_MAGIC, true)
  dv.setUint32(HDR_VERSION, FORMAT_VERSION, true)
  dv.setUint32(HDR_HEADER_BYTES, HEADER_BYTES, true)
  dv.setUint32(HDR_JOURNAL_ID, header.id, true)
  dv.setBigUint64(HDR_CAPACITY, BigInt(header.capacity), true)
  dv.setFloat64(HDR_CREATED_AT, header.createdAt, true)
  dv.setUint32(HDR_CRC, crc32c(0, page, 0, HDR_CRC), true)
  dv.setBigUint64(HDR_TAIL, BigInt(HEADER_BYTES), true)
  dv.setUint32(HDR_STATE, STATE_ACTIVE, true)
}

/**
 * Reads and checks a header. A foreign file and a future version get their
 * own codes, so a caller can tell "not ours" from "ours but damaged"; neither
 * is ever misread.
 */
export function readHeader(page: Uint8Array, file: string): JournalHeader {
  if (page.byteLength < HEADER_BYTES) {
    throw new SpillwayError('ERR_NOT_A_JOURNAL', `${file} is not a spillway journal: ${page.byteLength} bytes is shorter than a header`, { file })
  }
  const dv = new DataView(page.buffer, page.byteOffset, HEADER_BYTES)
  if (dv.getUint32(HDR_MAGIC, true) !== JOURNAL_MAGIC) {
    throw new SpillwayError('ERR_NOT_A_JOURNAL', `${file} is not a spillway journal (bad magic number)`, { file })
  }
  // The version comes before the CRC: a later version may lay its header out differently.
  const version = dv.getUint32(HDR_VERSION, true)
  if (version !== FORMAT_VERSION) {
    const advice = version < FORMAT_VERSION ? ': it was written by an older spillway; the directory is a cache, so remove it to start afresh' : ''
    throw new SpillwayError('ERR_JOURNAL_VERSION',
      `${file} has journal format version ${version}; this spillway reads version ${FORMAT_VERSION} only${advice}`, { file })
  }
  if (dv.getUint32(HDR_CRC, true) !== crc32c(0, page, 0, HDR_CRC)) {
    throw new SpillwayError('ERR_JOURNAL_CORRUPT', `${file}: journal header fails its CRC32C check`, { file })
  }
  const capacity = Number(dv.getBigUint64(HDR_CAPACITY, true))
  if (dv.getUint32(HDR_HEADER_BYTES, true) !== HEADER_BYTES || capacity < MIN_JOURNAL_BYTES ||
    capacity > MAX_JOURNAL_BYTES || capacity % HEADER_BYTES !== 0) {
    throw new SpillwayError('ERR_JOURNAL_CORRUPT', `${file}: journal header holds impossible sizes`, { file })
  }
  return { id: dv.getUint32(HDR_JOURNAL_ID, true), capacity, createdAt: dv.getFloat64(HDR_CREATED_AT, true) }
}
