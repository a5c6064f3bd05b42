/**
 * The HTTP cache's numbers: what `cache.stats()` gives out, and the
 * counters behind it. They are the one source the Prometheus metrics
 * (spillway/metrics) and the dashboard read (DESIGN.md §Operators).
 */

/**
 * How the cache answered one response, as its Cache-Status says
 * (RFC 9211; cache-status.ts `outcomeOf`). Each response counts once:
 *
 * - `hit`: a fresh stored response, without contacting the origin
 *   (`hit`, `hit; collapsed`);
 * - `stale`: a stale stored response: stale-while-revalidate
 *   (`hit; detail="stale-while-revalidate"`), or in place of an origin
 *   error or timeout (`fwd=stale; fwd-status=5xx`);
 * - `revalidated`: the origin answered the cache's conditional request
 *   with 304 and the client got the stored response (`fwd-status=304`);
 * - `miss`: the origin's own response (`fwd=uri-miss|vary-miss|miss|stale|request|partial`),
 *   and a 504 to `only-if-cached`;
 * - `bypass`: sent to the origin without a lookup (`fwd=bypass|method`):
 *   the store is not open, the request is refused or carries credentials,
 *   or its method is not cached or unsafe;
 * - `error`: the cache failed while handling the request, which then went
 *   to the origin as if there were no cache.
 *
 * A stale-while-revalidate refresh is a request of its own, to this server
 * (background-refresh.ts), and counts as one: a `miss`.
 */
export type HttpOutcome = 'hit' | 'stale' | 'revalidated' | 'miss' | 'bypass' | 'error'

export const HTTP_OUTCOMES: readonly HttpOutcome[] = ['hit', 'stale', 'revalidated', 'miss', 'bypass', 'error']

/** Upper bounds, in seconds, of the origin latency histogram's buckets (after them, +Inf). */
export const ORIGIN_LATENCY_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

/**
 * Seconds from the moment the cache sends a request on to the origin (a
 * miss, a revalidation or a bypass; Express's next(), the proxy's upstream
 * request, argo's target) to the moment the origin's response head reaches
 * the cache: a cumulative histogram, as Prometheus keeps one.
 */
export interface OriginLatency {
  /** The buckets' upper bounds in seconds, ascending: ORIGIN_LATENCY_BUCKETS. */
  le: readonly number[]
  /** counts[i]: origin responses whose head came within le[i] seconds (cumulative, so non-decreasing). */
  counts: number[]
  /** Origin responses observed: the +Inf bucket. */
  count: number
  /** Their seconds, summed. */
  sum: number
}

export interface HttpCacheStats {
  /** Fresh hits, collapsed waiters included (a response served from the store without the origin). */
  hits: number
  /** Requests sent to the origin after a lookup: misses and revalidations (whatever the origin then answered). */
  misses: number
  /** Stale responses served: stale-while-revalidate, and in place of an origin error or timeout. */
  stale: number
  /** Requests that passed through without a lookup (not counting unsafe methods). */
  bypasses: number
  /** Requests served from another request's fetch of the same URL. */
  coalesced: number
  /** Responses stored, and their encoded bytes. */
  stored: number
  storedBytes: number
  /** Cache failures: a request passed through because of one, or a response could not be stored. */
  errors: number
  /** Bytes of responses being copied for storing right now. */
  bufferedBytes: number
  /** Responses by outcome, each counted once: their sum is every response the cache handled. */
  responses: Record<HttpOutcome, number>
  /** How long the origin took to answer, per request sent to it. */
  originLatency: OriginLatency
}

/** The origin latency histogram's state: one count per bucket (not cumulative) and +Inf. */
export class LatencyHistogram {
  readonly #counts = new Array<number>(ORIGIN_LATENCY_BUCKETS.length + 1).fill(0)
  #sum = 0

  observe(seconds: number): void {
    // A clock that steps back (a wall clock, injected) must not make a negative latency.
    const s = seconds > 0 ? seconds : 0
    let i = 0
    while (i < ORIGIN_LATENCY_BUCKETS.length && s > ORIGIN_LATENCY_BUCKETS[i]) i++
    this.#counts[i]++
    this.#sum += s
  }

  snapshot(): OriginLatency {
    const counts: number[] = []
    let running = 0
    for (let i = 0; i < ORIGIN_LATENCY_BUCKETS.length; i++) counts.push(running += this.#counts[i])
    return { le: ORIGIN_LATENCY_BUCKETS, counts, count: running + this.#counts[ORIGIN_LATENCY_BUCKETS.length], sum: this.#sum }
  }
}

export function emptyResponses(): Record<HttpOutcome, number> {
  return { hit: 0, stale: 0, revalidated: 0, miss: 0, bypass: 0, error: 0 }
}
