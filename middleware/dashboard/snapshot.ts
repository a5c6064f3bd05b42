import type { StoreStats } from '../../src/index.js'
import type { HttpCacheStats } from '../core/http-cache.js'
import { outcomesOf } from './outcomes.js'

/** Where a dashboard reads its numbers: stats() of a store and, in front of an HTTP cache, the cache's own. */
export interface StatsSource {
  /** store.stats(), or undefined while the store is not open. */
  store(): StoreStats | undefined
  /** The HTTP cache's stats(); absent where no HTTP cache is (`spillway dashboard DIR`). */
  http?(): HttpCacheStats
  /** Says whose counters these are, shown on the page: the app's cache, or a process that only watches a directory. */
  label: string
  /** A sentence the page shows under the title, if any: what the numbers do not cover. */
  note?: string
}

/**
 * One sample, as sent to the page: the stats() objects exactly as they
 * were read, so the page shows what stats() says. The page derives ratios
 * and rates from successive samples; it counts nothing itself.
 */
export interface DashboardSnapshot {
  /** Milliseconds since the epoch when the sample was read. */
  at: number
  /** Milliseconds between samples. */
  intervalMs: number
  /** Samples the page keeps and draws. */
  history: number
  label: string
  note: string | null
  /** store.stats(); null until the store opens. A maxBytes of Infinity (no bound) is sent as null. */
  store: StoreStats | null
  /** The HTTP cache's stats(); null where no HTTP cache is. */
  http: HttpCacheStats | null
  /** outcomesOf(http): responses by Cache-Status outcome; null where no HTTP cache is. */
  outcomes: Record<string, number> | null
}

export function readSnapshot(source: StatsSource, intervalMs: number, history: number, now = Date.now()): DashboardSnapshot {
  const http = source.http?.() ?? null
  return {
    at: now,
    intervalMs,
    history,
    label: source.label,
    note: source.note ?? null,
    store: source.store() ?? null,
    http,
    outcomes: http === null ? null : outcomesOf(http),
  }
}
