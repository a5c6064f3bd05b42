import type { LeaseTable } from '../store/lease-table.js'

/** Longest pause between two looks at another process's lease. */
const MAX_WATCH_MS = 16

/** Where a caller waits: on a load in this process, or on another process's lease. */
export type WaitPlace = 'here' | 'elsewhere'

export interface FlightsOptions {
  leases: Pick<LeaseTable, 'take' | 'heldByOther' | 'release'>
  /** How long a load holds its lease at most: past it, other processes stop waiting and load themselves. */
  leaseMs: number
  /** A caller waits; `label` is what run() was given to name the load by. */
  onWait(label: string, place: WaitPlace): void
}

/**
 * One load per name at a time, among the callers of this process and,
 * through the store's lease table, among the processes sharing the
 * directory (the way middleware/core/coalescing.ts coalesces origin
 * fetches). A caller that finds a load under way here joins its promise. A
 * caller that finds the lease held by another process waits until that
 * lease is let go (looking after 1, 2, 4… up to 16 ms), then looks the store
 * up again (`recheck`): the other process's value ends the wait. If there is
 * none (its load failed, gave undefined, or its holder died or overran the
 * lease), the caller takes the lease and loads itself. A lease slot held for
 * another name ('full') means this process's callers coalesce, not the others.
 */
export class LoadFlights {
  readonly #inflight = new Map<string, Promise<unknown>>()
  readonly #options: FlightsOptions

  constructor(options: FlightsOptions) {
    this.#options = options
  }

  /** `work`'s result, run once for `name` here and among processes; see the class comment. */
  run<R>(name: string, leaseName: string, label: string, work: () => Promise<R>, recheck: () => { value: R } | undefined): Promise<R> {
    const under = this.#inflight.get(name)
    if (under !== undefined) {
      this.#options.onWait(label, 'here')
      return under as Promise<R>
    }
    return this.#track(name, this.#lead(leaseName, label, work, recheck))
  }

  /**
   * Starts `work` in the background unless a load of `name` is under way
   * here or holds the lease in another process; returns its promise, or
   * undefined when it did not start. Callers of run() meanwhile join it.
   */
  runInBackground<R>(name: string, leaseName: string, work: () => Promise<R>): Promise<R> | undefined {
    if (this.#inflight.has(name)) return undefined
    const claim = this.#options.leases.take(leaseName, this.#options.leaseMs)
    if (claim === 'held') return undefined
    return this.#track(name, this.#holding(leaseName, claim === 'taken', work))
  }

  /** Whether a load of `name` is under way in this process. */
  loading(name: string): boolean {
    return this.#inflight.has(name)
  }

  #track<R>(name: string, flight: Promise<R>): Promise<R> {
    this.#inflight.set(name, flight)
    // then(f, f), not finally(): a derived promise that rejects would be an unhandled rejection.
    const done = () => {
      if (this.#inflight.get(name) === flight) this.#inflight.delete(name)
    }
    flight.then(done, done)
    return flight
  }

  async #lead<R>(leaseName: string, label: string, work: () => Promise<R>, recheck: () => { value: R } | undefined): Promise<R> {
    const { leases, leaseMs } = this.#options
    for (;;) {
      const claim = leases.take(leaseName, leaseMs)
      if (claim !== 'held') {
        // Another process may have stored the value and let the lease go between the caller's lookup and this take.
        const found = recheck()
        if (found !== undefined) {
          if (claim === 'taken') leases.release(leaseName)
          return found.value
        }
        return this.#holding(leaseName, claim === 'taken', work)
      }
      this.#options.onWait(label, 'elsewhere')
      await this.#released(leaseName)
      const found = recheck()
      if (found !== undefined) return found.value
    }
  }

  async #holding<R>(leaseName: string, taken: boolean, work: () => Promise<R>): Promise<R> {
    try {
      return await work()
    } finally {
      // Let go once the value is stored (work stores it), so the others find it when they look.
      if (taken) this.#options.leases.release(leaseName)
    }
  }

  /** Resolves once no other live holder has the lease on `leaseName`. Not unref'd: a caller awaits it. */
  #released(leaseName: string): Promise<void> {
    return new Promise((resolve) => {
      let pause = 1
      const look = () => {
        if (!this.#options.leases.heldByOther(leaseName)) return resolve()
        pause = Math.min(pause * 2, MAX_WATCH_MS)
        setTimeout(look, pause)
      }
      setTimeout(look, pause)
    })
  }
}
