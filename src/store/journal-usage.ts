/**
 * Live and dead bytes per journal, and the totals behind write
 * amplification. A record's bytes are dead once nothing can read it:
 * overwritten, deleted, expired, purged, or a tombstone itself.
 */
export class JournalUsage {
  #written = new Map<number, number>()
  #dead = new Map<number, number>()
  /** Bytes of every record appended, moves and reinsertions included. */
  appendedBytes = 0
  /** Bytes of keys and values the caller asked to store. */
  userBytes = 0

  wrote(journalId: number, bytes: number): void {
    this.#written.set(journalId, (this.#written.get(journalId) ?? 0) + bytes)
  }

  died(journalId: number, bytes: number): void {
    this.#dead.set(journalId, (this.#dead.get(journalId) ?? 0) + bytes)
  }

  /** Dead bytes over written bytes; 0 for a journal with nothing written. */
  deadRatio(journalId: number): number {
    const written = this.#written.get(journalId) ?? 0
    return written === 0 ? 0 : Math.min(1, (this.#dead.get(journalId) ?? 0) / written)
  }

  /** Dead bytes over written bytes, over every journal. */
  get totalDeadRatio(): number {
    let written = 0
    let dead = 0
    for (const bytes of this.#written.values()) written += bytes
    for (const bytes of this.#dead.values()) dead += bytes
    return written === 0 ? 0 : Math.min(1, dead / written)
  }

  forget(journalId: number): void {
    this.#written.delete(journalId)
    this.#dead.delete(journalId)
  }

  /** Disk bytes written per byte the caller stored (1 when nothing is rewritten). */
  get writeAmplification(): number {
    return this.userBytes === 0 ? 1 : this.appendedBytes / this.userBytes
  }
}
