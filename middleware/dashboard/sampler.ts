import createDebug from 'debug'

const debug = createDebug('spillway:dashboard')

/**
 * Reads a sample every `intervalMs` while at least one listener is
 * subscribed, and hands it to each of them: one timer however many clients
 * watch, and none while no one does. A new listener gets a sample at once,
 * so a page shows numbers before the first tick.
 */
export class Sampler {
  #read: () => string
  #intervalMs: number
  #listeners = new Set<(sample: string) => void>()
  #timer: NodeJS.Timeout | undefined

  constructor(read: () => string, intervalMs: number) {
    this.#read = read
    this.#intervalMs = intervalMs
  }

  /** Whether the timer runs: exactly while a listener is subscribed. */
  get running(): boolean {
    return this.#timer !== undefined
  }

  /** Subscribes `listener`; call the returned function (any number of times) to unsubscribe. */
  subscribe(listener: (sample: string) => void): () => void {
    this.#listeners.add(listener)
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#tick(), this.#intervalMs)
      // The clients' connections keep a server alive; a timer left behind must not keep a process alive.
      this.#timer.unref()
    }
    const sample = this.#sample()
    if (sample !== undefined) listener(sample)
    return () => {
      if (!this.#listeners.delete(listener) || this.#listeners.size > 0) return
      this.#stop()
    }
  }

  /** Unsubscribes every listener and stops the timer. */
  close(): void {
    this.#listeners.clear()
    this.#stop()
  }

  #stop(): void {
    if (this.#timer === undefined) return
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  #tick(): void {
    const sample = this.#sample()
    if (sample === undefined) return
    for (const listener of [...this.#listeners]) listener(sample)
  }

  /** A sample, or undefined when stats() threw (a store closing under the dashboard): the next tick tries again. */
  #sample(): string | undefined {
    try {
      return this.#read()
    } catch (err) {
      debug('sample failed, skipped: %s', err)
      return undefined
    }
  }
}
