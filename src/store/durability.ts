import type { JournalDir } from '../journal/journal-dir.js'
import type { Durability } from './options.js'

/**
 * When appends become durable. 'always' resolves a write only after an
 * msync that covers it; writes that arrive while one msync runs share the
 * next (group commit), so a burst costs two flushes, not one each.
 * 'interval' flushes in the background every `intervalMs`: a machine crash
 * loses at most that window plus one flush. 'none' leaves it to the kernel.
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

  constructor(mode: Durability, intervalMs: number, journals: JournalDir) {
    this.mode = mode
    this.#journals = journals
    this.#intervalMs = intervalMs
    if (mode === 'interval') {
      this.#timer = setInterval(() => {
        if (this.#dirty) this.flush().catch(() => {})
      }, intervalMs)
      this.#timer.unref()
    }
  }

  /**
   * Called after each append; resolves when that append is as durable as the
   * mode promises. In 'interval' mode a write that finds a flush overdue
   * starts one: a writer that never yields to the event loop would otherwise
   * starve the timer. Such a writer also never lets a started flush settle,
   * so once a flush is two intervals overdue it flushes synchronously.
   */
  afterWrite(): Promise<void> | undefined {
    this.#dirty = true
    if (this.mode === 'always') return this.flush()
    if (this.mode !== 'interval') return undefined
    const overdue = performance.now() - this.#lastFlush
    if (overdue < this.#intervalMs) return undefined
    if (this.#running === undefined) {
      this.flush().catch(() => {})
    } else if (overdue >= 2 * this.#intervalMs) {
      this.#journals.sync()
      this.#dirty = false
      this.#lastFlush = performance.now()
    }
    return undefined
  }

  /** Everything appended before this call is durable when it resolves. */
  flush(): Promise<void> {
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

  close(): void {
    clearInterval(this.#timer)
  }

  #start(): Promise<void> {
    this.#dirty = false
    this.#lastFlush = performance.now()
    const run = this.#journals.syncAsync().finally(() => {
      if (this.#running === run) this.#running = undefined
    })
    this.#running = run
    return run
  }
}
