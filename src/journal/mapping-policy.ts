import type { Journal } from './journal.js'

/** What the policy keeps per sealed journal. */
export interface MappedJournal {
  journal: Journal
  lastRead: number
  readsSinceSweep: number
}

/** The longest delay Node's timers take as given (2^31 − 1 ms); longer ones fire after 1 ms. */
const MAX_TIMER_MS = 0x7fffffff

/** A cold journal read this often between sweeps is worth mapping again. */
const WARM_AFTER_READS = 32

/**
 * Which sealed journals stay mapped. Mapped reads are views, several times
 * cheaper than a pread, but every mapped journal holds address space and
 * page-cache pressure: beyond `maxMappedBytes` the least recently read go
 * cold, and so does any journal unread for a sweep interval. A cold journal
 * read often again is mapped again. The active journal is always mapped and
 * never counted.
 */
export class MappingPolicy {
  #maxMappedBytes: number
  #tick = 0
  #sweeper: NodeJS.Timeout | undefined
  #journals: () => Iterable<MappedJournal>
  #active: () => Journal | undefined
  #canMap: boolean

  constructor(maxMappedBytes: number, coldAfterMs: number, canMap: boolean,
    journals: () => Iterable<MappedJournal>, active: () => Journal | undefined) {
    this.#maxMappedBytes = maxMappedBytes
    this.#canMap = canMap
    this.#journals = journals
    this.#active = active
    if (coldAfterMs !== Infinity) this.#sweepEvery(coldAfterMs)
  }

  /** Notes a read of `entry`, mapping it again if it is cold and read often. */
  noteRead(entry: MappedJournal): void {
    entry.lastRead = ++this.#tick
    if (++entry.readsSinceSweep === WARM_AFTER_READS && !entry.journal.mapped && this.#canMap) {
      entry.journal.makeWarm()
      this.enforceBudget()
    }
  }

  /** Makes the least recently read sealed journals cold until the mapped ones fit the budget. */
  enforceBudget(): void {
    if (this.#maxMappedBytes === Infinity) return
    const active = this.#active()
    const mapped = [...this.#journals()].filter((e) => e.journal.mapped && e.journal !== active)
    let bytes = mapped.reduce((sum, e) => sum + e.journal.limit, 0)
    mapped.sort((a, b) => a.lastRead - b.lastRead)
    for (const entry of mapped) {
      if (bytes <= this.#maxMappedBytes) break
      entry.journal.makeCold()
      bytes -= entry.journal.limit
    }
  }

  close(): void {
    clearTimeout(this.#sweeper)
  }

  /**
   * Sweeps every `interval` ms. Node clamps a timer above 2^31 − 1 ms (about
   * 24.8 days) to 1 ms, so a longer interval is waited out in steps it takes.
   */
  #sweepEvery(interval: number): void {
    let due = performance.now() + interval
    const wait = (): void => {
      this.#sweeper = setTimeout(() => {
        if (performance.now() >= due) {
          this.#sweepIdle()
          due = performance.now() + interval
        }
        wait()
      }, Math.min(Math.max(due - performance.now(), 1), MAX_TIMER_MS))
      this.#sweeper.unref()
    }
    wait()
  }

  #sweepIdle(): void {
    const active = this.#active()
    for (const entry of this.#journals()) {
      if (entry.readsSinceSweep === 0 && entry.journal !== active) entry.journal.makeCold()
      entry.readsSinceSweep = 0
    }
  }
}
