import type { JournalDir } from '../journal/journal-dir.js'
import type { Durability } from './options.js'

/**
 * A test seam, not API: `started` is called as each flush begins (its result
 * is handed back to `completed` when that flush has succeeded), so a crash
 * test can learn which writes a finished flush covered, by event rather than
 * by timing. A flush covers every append made before it began.
 */
export const durabilityProbe: { started?: () => unknown; completed?: (token: unknown) => void } = {}

/**
 * When appends become durable. 'always' resolves a write only after an
 * msync that covers it; writes that arrive while one msync runs share the
 * next (group commit), so a burst costs two flushes, not one each.
 * 'interval' flushes in the background every `intervalMs`: a machine crash
 * loses at most that window plus one flush. 'none' leaves it to the kernel.
 *
 * A background flush that fails goes to `onFailure`, and is kept: the next
 * `flush()` rejects with it, since the bytes that flush covered may never
 * reach the disk (the kernel reports a write-back error once, and a later
 * msync of the same pages may succeed without them).
 */
export class DurabilityPolicy {
  readonly mode: Durability
  #journals: JournalDir
  #timer: NodeJS.Timeout | undefined
  #dirty = false
  #running: Promise<void> | undefined
  #next: Promise<void> | undefined
  #intervalMs: number
  #lastFlush = performance.now()
  /** Whether the event loop has turned since the last flush began: if not, that flush cannot settle. */
  #loopTurned = true
  #onFailure: (err: unknown) => void
  /** A background flush's failure that no `flush()` has reported yet. */
  #failure: { error: unknown } | undefined

  constructor(mode: Durability, intervalMs: number, journals: JournalDir, onFailure: (err: unknown) => void) {
    this.mode = mode
    this.#journals = journals
    this.#intervalMs = intervalMs
    this.#onFailure = onFailure
    if (mode === 'interval') {
      this.#timer = setInterval(() => {
        if (this.#dirty) this.#flushInBackground()
      }, intervalMs)
      this.#timer.unref()
    }
  }

  /**
   * Called after each append; resolves when that append is as durable as the
   * mode promises. In 'interval' mode a write that finds a flush overdue
   * starts one: a writer that never yields to the event loop would otherwise
   * starve the timer. Such a writer also never lets a started flush settle,
   * so once a flush is two intervals overdue and the event loop has not
   * turned since it began, it flushes synchronously. A flush that is only
   * slow (a slow disk, while the loop turns) is left to finish in the
   * background: flushing again on this thread would stall every request for
   * as long as the disk takes, which lmdb's overlapping sync avoids too.
   */
  afterWrite(): Promise<void> | undefined {
    this.#dirty = true
    if (this.mode === 'always') return this.flush()
    if (this.mode !== 'interval') return undefined
    const overdue = performance.now() - this.#lastFlush
    if (overdue < this.#intervalMs) return undefined
    if (this.#running === undefined) {
      this.#flushInBackground()
    } else if (overdue >= 2 * this.#intervalMs && !this.#loopTurned) {
      this.#dirty = false
      this.#lastFlush = performance.now()
      try {
        const token = durabilityProbe.started?.()
        this.#journals.sync()
        durabilityProbe.completed?.(token)
      } catch (err) {
        // The write that triggered it is appended; the flush covered others' bytes too.
        this.#backgroundFailed(err)
      }
    }
    return undefined
  }

  /**
   * Everything appended before this call is durable when it resolves. Rejects
   * with a background flush's failure not reported to a `flush()` before.
   */
  flush(): Promise<void> {
    return this.#flushNow().then(() => {
      const failure = this.#failure
      this.#failure = undefined
      if (failure !== undefined) throw failure.error
    }, (err: unknown) => {
      // This caller hears of it now; a later flush need not report it again.
      if (this.#failure?.error === err) this.#failure = undefined
      throw err
    })
  }

  /** A flush done elsewhere (a compaction's, reported by its owner) failed: the next flush() rejects. */
  noteFailure(err: unknown): void {
    this.#failure ??= { error: err }
  }

  close(): void {
    clearInterval(this.#timer)
  }

  #flushInBackground(): void {
    this.#flushNow().catch((err: unknown) => this.#backgroundFailed(err))
  }

  #backgroundFailed(err: unknown): void {
    this.noteFailure(err)
    this.#onFailure(err)
  }

  #flushNow(): Promise<void> {
    if (this.#running === undefined) return this.#start()
    // One msync is under way and may have started before our write: queue exactly one more after it.
    this.#next ??= this.#running.then(() => {
      this.#next = undefined
      return this.#start()
    }, () => {
      this.#next = undefined
      return this.#start()
    })
    return this.#next
  }

  #start(): Promise<void> {
    this.#dirty = false
    this.#lastFlush = performance.now()
    this.#loopTurned = false
    setImmediate(() => {
      this.#loopTurned = true
    }).unref()
    const token = durabilityProbe.started?.()
    const run = this.#journals.syncAsync().then(() => {
      durabilityProbe.completed?.(token)
    }).finally(() => {
      if (this.#running === run) this.#running = undefined
    })
    this.#running = run
    return run
  }
}
