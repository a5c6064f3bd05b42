/**
 * Byte layout constants. Each one is specified in src/journal/FORMAT.md; the
 * section is named beside it. Changing any of them changes the format: bump
 * FORMAT_VERSION and update FORMAT.md in the same commit.
 */

/** FORMAT.md §Versioning. Every file kind carries this number. */
export const FORMAT_VERSION = 2

/** FORMAT.md §Journal file. "SPWJ", "SPWH", "SPWB" read as little-endian u32. */
export const JOURNAL_MAGIC = 0x4a575053
export const HINT_MAGIC = 0x48575053
export const BLOOM_MAGIC = 0x42575053

/** FORMAT.md §Journal header: the whole first page. Records start after it. */
export const HEADER_BYTES = 4096
export const HDR_MAGIC = 0
export const HDR_VERSION = 4
export const HDR_HEADER_BYTES = 8
export const HDR_JOURNAL_ID = 12
export const HDR_CAPACITY = 16
export const HDR_CREATED_AT = 24
/** The CRC covers the static fields [0, HDR_CRC). */
export const HDR_CRC = 60
/** Dynamic words, changed with Atomics and not covered by the CRC. */
export const HDR_TAIL = 64
export const HDR_STATE = 72

export const STATE_ACTIVE = 1
export const STATE_SEALED = 2

/** FORMAT.md §Record. */
export const RECORD_HEADER_BYTES = 32
export const REC_LENGTH = 0
export const REC_CRC = 4
export const REC_FLAGS = 8
export const REC_KEY_LENGTH = 10
export const REC_VALUE_LENGTH = 12
export const REC_WRITE_TIME = 16
export const REC_EXPIRES_AT = 24
/** Records start on 8-byte boundaries so the u32 commit word and the f64 times are naturally aligned. */
export const RECORD_ALIGN = 8
/** A commit word with this value marks the end of a sealed journal. */
export const END_MARKER = 0xffffffff
/**
 * Set in the commit word between claim and publish: the record's extent is
 * known, its bytes are not yet. Record lengths stay below 2^31, so the bit is
 * free, and END_MARKER is no pending length a record could have.
 */
export const PENDING_BIT = 0x80000000
/**
 * While the commit word is pending, the word after it (where the CRC goes at
 * publication) holds the claiming writer's pid, 0 until it is stored: recovery
 * beside live writers tells a claim still being written from a dead writer's hole.
 */
export const REC_CLAIM_PID = REC_CRC

/** FORMAT.md §Record flags. */
export const FLAG_TOMBSTONE = 1 << 0
export const FLAG_COMPRESSED = 1 << 1
export const FLAG_MOVE = 1 << 2
export const FLAG_PURGE = 1 << 3
export const FLAG_TAGGED = 1 << 4
/** Bits this version defines; a record with any other bit set is not one this version wrote. */
export const KNOWN_FLAGS = FLAG_TOMBSTONE | FLAG_COMPRESSED | FLAG_MOVE | FLAG_PURGE | FLAG_TAGGED

/** FORMAT.md §Limits. */
export const MAX_KEY_BYTES = 0xffff
export const MIN_JOURNAL_BYTES = 64 * 1024
/** Offsets are u32 in hint files; 2 GiB also keeps offset arithmetic in small-integer range. */
export const MAX_JOURNAL_BYTES = 2 ** 31

/** FORMAT.md §Hint file. */
export const HINT_HEADER_BYTES = 16
export const HINT_ENTRY_BYTES = 20

/** FORMAT.md §Bloom sidecar. */
export const BLOOM_HEADER_BYTES = 24

/** `length` rounded up to RECORD_ALIGN, in double arithmetic: exact for any length, 2^31 and beyond included. */
export function alignRecord(length: number): number {
  const over = length % RECORD_ALIGN
  return over === 0 ? length : length + RECORD_ALIGN - over
}

export function journalFileName(id: number): string {
  return `${String(id).padStart(8, '0')}.journal`
}

export function hintFileName(id: number): string {
  return `${String(id).padStart(8, '0')}.hint`
}

export function bloomFileName(id: number): string {
  return `${String(id).padStart(8, '0')}.bloom`
}

const JOURNAL_NAME = /^(\d{8})\.journal$/

/** The journal id in a file name, or undefined when the name is not a journal's. */
export function parseJournalFileName(name: string): number | undefined {
  const m = JOURNAL_NAME.exec(name)
  return m === null ? undefined : Number(m[1])
}
