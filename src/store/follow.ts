import type { CorruptionHandler, CorruptionReport } from '../journal/corruption.js'
import { alignRecord, HEADER_BYTES, PENDING_BIT } from '../journal/format.js'
import type { Journal } from '../journal/journal.js'
import type { JournalDir, PendingClaim } from '../journal/journal-dir.js'
import { loadCommitWord, type ByteView } from '../journal/record.js'
import { scanJournal } from '../journal/scanner.js'
import { processIsAlive } from '../journal/temp-files.js'

/** A log position: journal id and offset in one double (ids stay far below 2^21), ordered as the log is. */
export function logPosition(journalId: number, offset: number): number {
  return journalId * 2 ** 32 + offset
}

/** Applies one published record, read at `offset` of journal `journalId` through `view` (valid for the call only). */
export type ApplyRecord = (journalId: number, offset: number, view: ByteView) => void

/** A claimer's pid is asked about at most this often: kill(pid, 0) is a system call. */
const LIVENESS_CHECK_MS = 1
/**
 * A claim still unmarked (no pid yet) after this long is taken for a writer
 * that died between its claim and its first store, a window of a few
 * instructions (FORMAT.md, "Following").
 */
const UNMARKED_CLAIM_MS = 10_000

/** settleBefore looks again at once this many times (a claim is published within microseconds), then sleeps 1 ms between looks. */
const SPINS_BEFORE_SLEEP = 64
/** How long settleBefore waits for the claims before one: a compaction step blocks its process meanwhile. */
const SETTLE_LIMIT_MS = 1000
const sleeper = new Int32Array(new SharedArrayBuffer(4))

interface Pending extends PendingClaim {
  /** The commit word when last seen: the claim is looked at again once it changes. */
  word: number
  /** performance.now() when it was first passed over, and when its claimer was last asked about. */
  seenAt: number
  checkedAt: number
}

/** Every unpublished claim a scan finds may still be published: liveness is judged here, not by the scan. */
const mayPublish = () => true

/**
 * How a store follows the records other processes append to its directory
 * (DESIGN.md, "Several processes, one directory"). A cursor (journal,
 * offset) marks how far the log has been read. Before every read the store
 * calls `catchUp`: when the active journal's tail word still equals the
 * cursor and no claim is outstanding, that is one atomic load. Otherwise the
 * records from the cursor to the tail are applied in log order. A claim not
 * yet published is passed over and remembered, so a writer that is slow (or
 * dead) between claiming and publishing never holds up the records after
 * it; it is looked at again on every catch-up, applied once published, and
 * forgotten once its claimer is gone. Records are applied by log position
 * (see FollowedRecords), so applying one late is safe.
 */
export class Follower {
  #journals: JournalDir
  #apply: ApplyRecord
  #onCorruption: CorruptionHandler
  /** The journal the cursor is in: undefined before the first journal exists. */
  #journal: Journal | undefined
  #journalId: number
  #offset: number
  #pending: Pending[] = []
  /** Damage already reported, so a stop at a torn tail that is read again is not reported again. */
  #reported = new Set<string>()

  #settled: (position: number) => void
  /** Told each time the cursor enters a journal another process created: time for maintenance to look. */
  onEnter: (() => void) | undefined

  /** `settled(position)` is told, after each catch-up that read anything, that every record below `position` is applied. */
  constructor(journals: JournalDir, apply: ApplyRecord, settled: (position: number) => void, onCorruption: CorruptionHandler) {
    this.#journals = journals
    this.#apply = apply
    this.#settled = settled
    this.#onCorruption = onCorruption
    const start = journals.followStart()
    this.#journalId = start.journalId
    this.#journal = journals.journal(start.journalId)
    this.#offset = start.offset
    const now = performance.now()
    for (const claim of start.claims) this.#pending.push({ ...claim, word: -1, seenAt: now, checkedAt: now })
  }

  /**
   * Applies what other processes appended since the last call. The common
   * case, nothing new, is one atomic load of the tail word: no allocation.
   */
  catchUp(): void {
    if (this.#pending.length === 0 && this.#journal !== undefined && this.#journal.tailLow() === this.#offset) return
    this.#walk()
    this.#settled(this.settledPosition())
  }

  /**
   * Steps over a record this process has just appended (and applied) when
   * it is the next one in the log: a writer's next catch-up then costs one
   * atomic load instead of reading its own record back. False when other
   * records come first; the follower then meets it in turn.
   */
  stepOver(at: { journalId: number; offset: number; length: number }): boolean {
    if (at.journalId !== this.#journalId || at.offset !== this.#offset) return false
    this.#offset += alignRecord(at.length)
    return true
  }

  /** Claims passed over and not yet published; for tests and diagnostics. */
  get pendingClaims(): number {
    return this.#pending.length
  }

  /**
   * The log position below which every record has been applied: the
   * cursor, or the first claim still outstanding before it.
   */
  settledPosition(): number {
    let settled = logPosition(this.#journalId, this.#offset)
    for (const claim of this.#pending) settled = Math.min(settled, logPosition(claim.journalId, claim.offset))
    return settled
  }

  /** Whether a claim below log position `position` is still outstanding, other than `except`'s. */
  outstandingBelow(position: number, exceptOffset = -1, exceptJournal = -1): boolean {
    if (logPosition(this.#journalId, this.#offset) < position) return true
    for (const claim of this.#pending) {
      if (claim.journalId === exceptJournal && claim.offset === exceptOffset) continue
      if (logPosition(claim.journalId, claim.offset) < position) return true
    }
    return false
  }

  /** Forgets the claims in a journal another process removed (they were all settled before it was drained). */
  forgetJournal(journalId: number): void {
    this.#recheck()
    this.#pending = this.#pending.filter((claim) => claim.journalId !== journalId)
  }

  #walk(): void {
    if (this.#pending.length > 0) this.#recheck()
    for (;;) {
      let journal = this.#journal
      if (journal === undefined) {
        journal = this.#journals.journalAfter(this.#journalId)
        if (journal === undefined) return
        this.#enter(journal)
      }
      const tail = journal.tail
      const end = Math.min(tail, journal.limit)
      if (this.#offset < end) {
        const view = journal.followView()
        if (view !== undefined) this.#scan(journal, view, this.#offset, undefined)
      }
      // Sealed by the tail read above (not by a fresh look: records claimed since were not scanned), or a
      // journal no writer appends to again (bytes past its tail word, a short file: FORMAT.md §Recovery),
      // whose tail word stays below its capacity while appends go to the next journal.
      if (tail < journal.capacity && journal.writable) return
      // Sealed: every record in it has been read or passed over. On to the next journal, once it exists.
      const next = this.#journals.journalAfter(journal.id)
      if (next === undefined) {
        this.#offset = Math.max(this.#offset, end)
        return
      }
      this.#enter(next)
    }
  }

  #enter(journal: Journal): void {
    this.#journal = journal
    this.#journalId = journal.id
    this.#offset = HEADER_BYTES
    this.onEnter?.()
  }

  /**
   * Returns true once every claim before `at` (its own excepted) is
   * published and applied here, or its writer is gone: blocking, since a
   * claim is published within microseconds of being made, and the record
   * claimed at `at` must be checked and published in this same turn. False
   * after SETTLE_LIMIT_MS without that (a writer stopped mid-claim, or a
   * terminated worker thread of a live process): the caller then gives up
   * what it meant to write.
   */
  settleBefore(at: { journalId: number; offset: number }): boolean {
    const position = logPosition(at.journalId, at.offset)
    const started = performance.now()
    for (let spins = 0; ; spins++) {
      this.catchUp()
      if (!this.outstandingBelow(position, at.offset, at.journalId)) return true
      if (spins >= SPINS_BEFORE_SLEEP) {
        if (performance.now() - started >= SETTLE_LIMIT_MS) return false
        Atomics.wait(sleeper, 0, 0, 1)
      }
    }
  }

  /**
   * Scans `journal` from `from` (to the tail, or to `to` for a claim looked
   * at again), applies what is published and remembers what is not.
   */
  #scan(journal: Journal, view: ByteView, from: number, to: number | undefined): void {
    const id = journal.id
    const result = scanJournal({
      view, file: journal.file, limit: journal.limit, capacity: journal.capacity, tail: journal.tail,
      loadTail: () => journal.tail, mode: 'salvage', claimAlive: mayPublish, from, to,
      onCorruption: (report) => this.#report(report),
    })
    if (to === undefined) this.#offset = result.stoppedAt
    const now = performance.now()
    for (let i = 0; i < result.claims.length; i += 3) {
      const offset = result.claims[i]
      this.#pending.push({ journalId: id, offset, end: result.claims[i + 1], pid: result.claims[i + 2], word: loadCommitWord(view, offset), seenAt: now, checkedAt: now })
    }
    for (const offset of result.offsets) {
      // Applying may read other journals, and so map or unmap them: take the view afresh for each record.
      const current = journal.followView()
      if (current === undefined) return
      this.#apply(id, offset, current)
    }
  }

  /** Looks again at each claim passed over: applies the published, forgets those whose writers are gone. */
  #recheck(): void {
    const pending = this.#pending
    this.#pending = []
    const now = performance.now()
    for (const claim of pending) {
      const journal = this.#journals.journal(claim.journalId)
      const view = journal?.followView()
      if (journal === undefined || view === undefined) continue
      const word = loadCommitWord(view, claim.offset)
      // Still unmarked, or still pending as when last seen (a word read after the scan may be published already).
      if (word === claim.word && (word === 0 || (word & PENDING_BIT) !== 0)) {
        if (this.#writerGone(claim, now)) continue
        this.#pending.push(claim)
        continue
      }
      // Marked, published, or (for an unmarked range) split into several claims: read the range again.
      this.#scan(journal, view, claim.offset, claim.end)
    }
  }

  #writerGone(claim: Pending, now: number): boolean {
    if (claim.pid === 0) return now - claim.seenAt >= UNMARKED_CLAIM_MS
    if (claim.pid === process.pid || now - claim.checkedAt < LIVENESS_CHECK_MS) return false
    claim.checkedAt = now
    return !processIsAlive(claim.pid)
  }

  #report(report: CorruptionReport): void {
    const key = `${report.file}:${report.reason}@${report.offset}`
    if (this.#reported.has(key)) return
    this.#reported.add(key)
    this.#onCorruption(report)
  }
}
