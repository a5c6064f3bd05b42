import type { EventEmitter } from 'node:events'
import type { LeaseTable } from '../../src/index.js'

/** One origin fetch that others may wait on. */
export interface Flight {
  /**
   * Lets the waiters go: the response is stored; or the response rules storing
   * out (then its key stops coalescing); or the fetch failed another way.
   */
  release(outcome: 'stored' | 'unstorable' | 'failed'): void
  /** Set when the URL was invalidated, in this process or another, while this fetch ran: what it brings back is not stored. */
  invalidated: boolean
  /**
   * Whether the fetch holds its key's lease among the processes on the
   * store. Another process may have stored the response and released the
   * lease between this request's lookup and the taking: look again first.
   */
  readonly leased: boolean
}

/** What a request does about a miss: wait for a fetch already under way, or fetch (leading those who come after, with a flight). */
export type Turn = { wait: Promise<void> } | { wait?: undefined; flight: Flight | undefined }

export interface CoalescerOptions {
  /** Keys whose last response could not be stored, remembered. @default 4096 */
  maxPassKeys?: number
  /** The leases shared with the other processes on the store (Store.leases), once it is open. @default none: this process only */
  leases?: () => Pick<LeaseTable, 'take' | 'heldByOther' | 'release' | 'invalidations' | 'noteInvalidation'> | undefined
  /** How long a fetch holds its key's lease, at most: the others stop waiting by then anyway. @default 5000 */
  leaseMs?: number
}

/** A fetch of this process (`flight`), or of another process (no flight: its lease is watched). */
interface InFlight {
  flight: Flight | undefined
  done: Promise<void>
  waiting: number
}

/** Longest pause between two looks at another process's lease. */
const MAX_WATCH_MS = 16

/**
 * Request coalescing (collapsed forwarding): concurrent misses on a key wait
 * for the one request already fetching it, then look the cache up again.
 * Waiters are let go the moment the outcome is known: stored, or ruled out at
 * the head (no-store, Set-Cookie, an SSE stream…) or past maxEntryBytes, so
 * none waits on a response it could never be served from. A key whose last
 * response could not be stored no longer coalesces ("hit-for-pass") until a
 * response for it is stored; those keys are remembered up to `maxPassKeys`,
 * the oldest forgotten first.
 *
 * Across processes on one store, a fetch holds its key's lease in the
 * store's lease table. A miss in another process that finds the lease held
 * waits, with this process's other requests for the key, until the lease is
 * released (looking at it after 1, 2, 4… up to 16 ms), then looks the store
 * up again: the response is there if it was stored. A lease whose holder
 * died, or held past `leaseMs`, lets its waiters go at once. No lease to be
 * had (a slot held for another key) means coalescing in this process only.
 * An invalidation counts in the lease table too, so a fetch under way in
 * any process learns that what it brings back must not be stored.
 */
export class Coalescer {
  readonly #inflight = new Map<string, InFlight>()
  readonly #passing = new Set<string>()
  readonly #events: EventEmitter
  readonly #maxPassKeys: number
  readonly #leases: NonNullable<CoalescerOptions['leases']>
  readonly #leaseMs: number

  constructor(events: EventEmitter, options: CoalescerOptions = {}) {
    this.#events = events
    this.#maxPassKeys = options.maxPassKeys ?? 4096
    this.#leases = options.leases ?? (() => undefined)
    this.#leaseMs = Math.max(1, options.leaseMs ?? 5000)
  }

  /**
   * A miss on `key`: wait (at most `timeoutMs`) for the fetch under way here
   * or in another process, or fetch. A request that `mayLead` (a GET whose
   * response may be stored) fetching gets the flight the next ones wait on,
   * unless the key does not coalesce. Emits 'waiting' (key, count).
   */
  join(key: string, timeoutMs: number, mayLead: boolean): Turn {
    const local = this.#inflight.get(key)
    if (local !== undefined) return { wait: this.#wait(local, key, timeoutMs) }
    if (this.#passing.has(key)) return { flight: undefined }
    if (mayLead) {
      const started = this.#start(key)
      if (started !== 'elsewhere') return { flight: started }
    } else if (this.#leases()?.heldByOther(key) !== true) {
      return { flight: undefined }
    }
    return { wait: this.#wait(this.#watch(key), key, timeoutMs) }
  }

  /** Starts the fetch others will wait on, or undefined when one is in flight (here or elsewhere) or the key does not coalesce. */
  lead(key: string): Flight | undefined {
    const started = this.#start(key)
    return started === 'elsewhere' ? undefined : started
  }

  /** Whether a fetch of `key` that will store its response is under way, here or in another process. */
  fetching(key: string): boolean {
    return this.#inflight.get(key)?.flight !== undefined || this.#leases()?.heldByOther(key) === true
  }

  /** A response for `key` was stored by a fetch no one waited on: the key coalesces again. */
  stored(key: string): void {
    this.#passing.delete(key)
  }

  /** Marks the fetches in flight of the URL `base` (any suffix, see flightKey), here and in the other processes, as overtaken by an invalidation. */
  invalidate(base: string): void {
    this.#leases()?.noteInvalidation(base)
    for (const [key, inflight] of this.#inflight) {
      if (inflight.flight !== undefined && (key === base || key.startsWith(`${base}\u0001`))) inflight.flight.invalidated = true
    }
  }

  #start(key: string): Flight | 'elsewhere' | undefined {
    if (this.#inflight.has(key) || this.#passing.has(key)) return undefined
    const leases = this.#leases()
    const claim = leases?.take(key, this.#leaseMs)
    if (claim === 'held') return 'elsewhere'
    let resolve!: () => void
    const done = new Promise<void>((r) => { resolve = r })
    // Invalidations are counted by URL (see invalidate), whatever the suffix of the flight's key.
    const url = key.split('\u0001', 1)[0]
    const seen = leases?.invalidations(url)
    let invalidatedHere = false
    const flight: Flight = {
      get invalidated() {
        return invalidatedHere || (seen !== undefined && leases!.invalidations(url) !== seen)
      },
      set invalidated(value) {
        invalidatedHere = value
      },
      leased: claim === 'taken',
      release: (outcome) => {
        if (this.#inflight.get(key)?.flight !== flight) return
        this.#inflight.delete(key)
        // Released once the outcome is known here, so the other processes look the store up after the response is in it.
        if (claim === 'taken') leases!.release(key)
        if (outcome === 'stored') this.#passing.delete(key)
        else if (outcome === 'unstorable') this.#pass(key)
        resolve()
      },
    }
    this.#inflight.set(key, { flight, done, waiting: 0 })
    return flight
  }

  /** Watches another process's lease on `key` until it is released, or until no one here waits on it any more. */
  #watch(key: string): InFlight {
    let resolve!: () => void
    const inflight: InFlight = { flight: undefined, done: new Promise<void>((r) => { resolve = r }), waiting: 0 }
    this.#inflight.set(key, inflight)
    let pause = 1
    const look = () => {
      if (inflight.waiting > 0 && this.#leases()?.heldByOther(key) === true) {
        pause = Math.min(pause * 2, MAX_WATCH_MS)
        setTimeout(look, pause).unref()
        return
      }
      if (this.#inflight.get(key) === inflight) this.#inflight.delete(key)
      resolve()
    }
    setTimeout(look, pause).unref()
    return inflight
  }

  #wait(inflight: InFlight, key: string, timeoutMs: number): Promise<void> {
    inflight.waiting++
    this.#events.emit('waiting', key, inflight.waiting)
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs).unref() })
    return Promise.race([inflight.done, timeout]).finally(() => {
      clearTimeout(timer)
      inflight.waiting--
    })
  }

  #pass(key: string): void {
    this.#passing.delete(key)
    this.#passing.add(key)
    if (this.#passing.size > this.#maxPassKeys) this.#passing.delete(this.#passing.values().next().value!)
  }
}
