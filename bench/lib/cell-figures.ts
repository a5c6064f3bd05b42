/**
 * The figures bench/http.ts and bench/proxy.ts take from one measured
 * cell: the load generator's requests per second (the median second) and
 * the server's own CPU and memory between the start and stop that bracket
 * the measured run.
 */
import type { Counters } from './http-common.js'
import type { LoadResult } from './http-child.js'

export interface MeasuredCell { load: LoadResult; server: Counters }

export const cpuUs = (m: MeasuredCell): number => m.server.cpuUserUs + m.server.cpuSystemUs
export const cpuPerRequest = (m: MeasuredCell): number => cpuUs(m) / Math.max(1, m.server.requests)
export const reqPerSec = (m: MeasuredCell): number => m.load.requests.p50

/** The table's per-cell columns: p99 latency (ms), server CPU µs per request, server CPU %, server RSS MiB. */
export function serverValues(m: MeasuredCell): Record<'p99' | 'cpu' | 'cpuPct' | 'rss', number> {
  return {
    p99: m.load.latency.p99,
    cpu: cpuPerRequest(m),
    cpuPct: (100 * cpuUs(m)) / m.server.wallUs,
    rss: m.server.rssBytes / 2 ** 20,
  }
}
