import { mix32 } from '../key-hash.js'
import type { MappingApi } from '../native.js'
import { openSharedFile, SHARED_HEADER_BYTES, type SharedFile, type SharedFileKind } from './shared-file.js'

/** FORMAT.md §Read marks. A power of two of u32 entries. */
export const READS_FILE: SharedFileKind = { name: 'READS', magic: 'SPWR', version: 1, entries: 1 << 18, entryBytes: 4 }
const INDEX_MASK = READS_FILE.entries - 1

/**
 * Which records were read from disk since they were written, by any process
 * with the store directory open (FORMAT.md §Read marks), so that the
 * process that evicts under the disk budget reinserts what every process
 * reads, not only what it reads itself. A two-way table in the mapped file
 * `READS`: a record's location (journal id, offset) hashes to a pair of
 * entries, and a read stores the location's 32-bit fingerprint in the first
 * of them that is empty (or holds it already), else over one of the two
 * (made on a record's first disk read in a process). The eviction takes the
 * mark with compareExchange, clearing it. With one entry per location, two
 * hot records sharing it lost one mark between them: with 40 hot keys and a
 * few evictions, about one run in seventy of
 * test/store/shared-read-marks.test.ts evicted a hot key.
 * Neither way of being wrong serves a wrong value: a read of a third
 * location of the pair overwrites a mark (that record may be evicted though
 * hot), and a fingerprint collision (2^-32) reinserts a cold one. Unlike a
 * bitmap, stale marks are overwritten, so the table never fills up with them.
 * On the pread backend the table is private to the process, which is then
 * the only one with the directory open.
 */
export class ReadMarks {
  readonly shared: boolean
  #file: SharedFile
  #marks: Int32Array

  private constructor(file: SharedFile) {
    this.#file = file
    this.shared = file.shared
    this.#marks = new Int32Array(file.buffer, SHARED_HEADER_BYTES, READS_FILE.entries)
  }

  /** Maps `READS` in `dir`; never throws (see openSharedFile). */
  static open(api: MappingApi, dir: string): ReadMarks {
    return new ReadMarks(openSharedFile(api, dir, READS_FILE))
  }

  /** Notes a read of the record at `offset` in journal `journalId`. */
  mark(journalId: number, offset: number): void {
    const at = readMarkPair(journalId, offset)
    const mark = fingerprintOf(journalId, offset)
    const marks = this.#marks
    for (const entry of [at, at + 1]) {
      const was = Atomics.compareExchange(marks, entry, 0, mark)
      if (was === 0 || was === mark) return
    }
    // Both hold other marks: one of them goes, picked by the fingerprint so neither is always the loser.
    Atomics.store(marks, at + ((mark >>> 1) & 1), mark)
  }

  /** Whether the record was read since its mark was last taken; clears the mark. */
  take(journalId: number, offset: number): boolean {
    const at = readMarkPair(journalId, offset)
    const mark = fingerprintOf(journalId, offset)
    return Atomics.compareExchange(this.#marks, at, mark, 0) === mark || Atomics.compareExchange(this.#marks, at + 1, mark, 0) === mark
  }

  close(): void {
    this.#file.close()
  }
}

/** The first entry of the location's pair (an even index). Exported for tests, which look for locations sharing one. */
export function readMarkPair(journalId: number, offset: number): number {
  return mix32(Math.imul(journalId, 0x9e3779b1) ^ offset) & INDEX_MASK & ~1
}

/** Never 0, the empty mark; a different mix from the entry's, so locations sharing an entry differ here. */
function fingerprintOf(journalId: number, offset: number): number {
  return mix32(Math.imul(offset ^ 0x5bd1e995, 0xcc9e2d51) + journalId) | 1
}
