import type { JournalDir } from '../journal/journal-dir.js'

/**
 * The keys on disk when a `keys()` iteration began, as the locations of
 * their records (three numbers a key, not a string), named lazily. A
 * journal about to be deleted by a compaction or an eviction has its
 * candidates named first (`resolveJournal`), so a key whose record moves
 * during the iteration is still found exactly once.
 */
export class KeySnapshot {
  #journalIds: number[] = []
  #offsets: number[] = []
  #lengths: number[] = []
  /** Names read ahead of their turn, by index; null for a record that could not be read. */
  #named = new Map<number, string | null>()
  /** The first index not yet handed out by keyAt. */
  #next = 0

  get size(): number {
    return this.#journalIds.length
  }

  add(journalId: number, offset: number, length: number): void {
    this.#journalIds.push(journalId)
    this.#offsets.push(offset)
    this.#lengths.push(length)
  }

  /** The key of candidate `i` (asked in order), or undefined when its record cannot be read. */
  keyAt(i: number, journals: JournalDir): string | undefined {
    this.#next = i + 1
    const named = this.#named.get(i)
    if (named !== undefined) {
      this.#named.delete(i)
      return named ?? undefined
    }
    return this.#read(i, journals) ?? undefined
  }

  /** Names every candidate still to come whose record is in `journalId`. */
  resolveJournal(journalId: number, journals: JournalDir): void {
    const ids = this.#journalIds
    for (let i = this.#next; i < ids.length; i++) {
      if (ids[i] === journalId && !this.#named.has(i)) this.#named.set(i, this.#read(i, journals))
    }
  }

  #read(i: number, journals: JournalDir): string | null {
    const record = journals.viewAt(this.#journalIds[i], this.#offsets[i], this.#lengths[i], false)
    return record === undefined ? null : Buffer.from(record.key).toString('utf8')
  }
}
