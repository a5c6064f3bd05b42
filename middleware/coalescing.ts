import type { EventEmitter } from 'node:events'

/** One origin fetch that others may wait on. */
export interface Flight {
  /**
   * Lets the waiters go: the response is stored; or the response rules storing
   * out (then its key stops coalescing); or the fetch failed another way.
   */
  release(outcome: 'stored' | 'unstorable' | 'failed'): void
  /** Set when the URL was invalidated while this fetch ran: what it brings back is not stored. */
  invalidated: boolean
}

/**
 * Request coalescing (collapsed forwarding): concurrent misses on a key wait
 * for the one request already fetching it, then look the cache up again.
 * Waiters are let go the moment the outcome is known: stored, or ruled out at
 * the head (no-store, Set-Cookie, an SSE stream…) or past maxEntryBytes, so
 * none waits on a response it could never be served from. A key whose last
 * response could not be stored no longer coalesces ("hit-for-pass") until a
 * response for it is stored; those keys are remembered up to `maxPassKeys`,
 * the oldest forgotten first.
 */
export class Coalescer {
  readonly #inflight = new Map<string, { flight: Flight; done: Promise<void>; waiting: number }>()
  readonly #passing = new Set<string>()
  readonly #events: EventEmitter
  readonly #maxPassKeys: number

  constructor(events: EventEmitter, maxPassKeys = 4096) {
    this.#events = events
    this.#maxPassKeys = maxPassKeys
  }

  /** Starts the fetch others will wait on, or undefined when one is in flight or the key does not coalesce. */
  lead(key: string): Flight | undefined {
    if (this.#inflight.has(key) || this.#passing.has(key)) return undefined
    let resolve!: () => void
    const done = new Promise<void>((r) => { resolve = r })
    const flight: Flight = {
      invalidated: false,
      release: (outcome) => {
        if (this.#inflight.get(key)?.flight !== flight) return
        this.#inflight.delete(key)
        if (outcome === 'stored') this.#passing.delete(key)
        else if (outcome === 'unstorable') this.#pass(key)
        resolve()
      },
    }
    this.#inflight.set(key, { flight, done, waiting: 0 })
    return flight
  }

  /** The fetch of `key` to wait for, at most `timeoutMs`; undefined when there is none. Emits 'waiting' (key, count). */
  waitFor(key: string, timeoutMs: number): Promise<void> | undefined {
    const inflight = this.#inflight.get(key)
    if (inflight === undefined) return undefined
    inflight.waiting++
    this.#events.emit('waiting', key, inflight.waiting)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs).unref() })
    return Promise.race([inflight.done, timeout]).finally(() => {
      clearTimeout(timer)
      inflight.waiting--
    })
  }

  /** A response for `key` was stored by a fetch no one waited on: the key coalesces again. */
  stored(key: string): void {
    this.#passing.delete(key)
  }

  /** Marks the fetches in flight of the URL `base` (any suffix, see flightKey) as overtaken by an invalidation. */
  invalidate(base: string): void {
    for (const [key, inflight] of this.#inflight) {
      if (key === base || key.startsWith(`${base}\u0001`)) inflight.flight.invalidated = true
    }
  }

  #pass(key: string): void {
    this.#passing.delete(key)
    this.#passing.add(key)
    if (this.#passing.size > this.#maxPassKeys) this.#passing.delete(this.#passing.values().next().value!)
  }
}
