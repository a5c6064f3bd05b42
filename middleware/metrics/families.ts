import type { StoreStats } from '../../src/index.js'
import { HTTP_OUTCOMES, type HttpCacheStats } from '../core/http-stats.js'

/** One line of a scrape, before the source's own labels are added. */
export interface Sample {
  value: number
  labels?: Record<string, string>
  /** For a histogram's lines: the family's name with `_bucket`, `_sum` or `_count`. */
  suffix?: '_bucket' | '_sum' | '_count'
}

/**
 * A metric family: its name after the prefix, HELP, TYPE, and its samples,
 * read from one snapshot of `stats()`. `aggregator` is prom-client's, for
 * AggregatorRegistry under node:cluster: counts a process keeps add up;
 * what describes the shared directory is the same in every worker.
 */
export interface Family<S> {
  name: string
  help: string
  type: 'counter' | 'gauge' | 'histogram'
  aggregator: 'sum' | 'max'
  samples(stats: S): Sample[]
}

/** Labels the families use themselves: a source may not take them for its own. */
export const FAMILY_LABELS = ['tier', 'state', 'operation', 'outcome', 'le']

const perTier = (stats: StoreStats, field: 'hits' | 'misses' | 'entries' | 'bytes' | 'maxBytes'): Sample[] => [
  { labels: { tier: 'heap' }, value: stats.heap[field] },
  { labels: { tier: 'disk' }, value: stats.disk[field] },
]

const counter = <S>(name: string, help: string, read: (stats: S) => number): Family<S> =>
  ({ name, help, type: 'counter', aggregator: 'sum', samples: (stats) => [{ value: read(stats) }] })

/** The store's families: StoreStats (src/store/stats.ts), field by field. */
export const STORE_FAMILIES: Family<StoreStats>[] = [
  { name: 'cache_hits_total', help: 'Lookups a tier answered: heap (decoded values in memory), or disk (the journals, after a heap miss).', type: 'counter', aggregator: 'sum', samples: (s) => perTier(s, 'hits') },
  { name: 'cache_misses_total', help: 'Lookups a tier could not answer; a disk miss is a miss of the whole store.', type: 'counter', aggregator: 'sum', samples: (s) => perTier(s, 'misses') },
  { name: 'cache_entries', help: 'Entries held: values in the heap tier, keys indexed on disk (live or not yet compacted away).', type: 'gauge', aggregator: 'sum', samples: (s) => perTier(s, 'entries') },
  { name: 'cache_bytes', help: 'Bytes held: decoded values in the heap tier, journal files on disk.', type: 'gauge', aggregator: 'sum', samples: (s) => perTier(s, 'bytes') },
  { name: 'cache_max_bytes', help: 'Each tier\'s bound in bytes (maxHeapBytes, maxDiskBytes).', type: 'gauge', aggregator: 'max', samples: (s) => perTier(s, 'maxBytes') },
  { name: 'keydir_bytes', help: 'Bytes of the in-heap index of the journals.', type: 'gauge', aggregator: 'sum', samples: (s) => [{ value: s.disk.keydirBytes }] },
  { name: 'heap_tier_bypassed', help: 'Stores whose reads bypass the heap tier for now, because it hits too rarely to pay for itself (1 or 0 per store).', type: 'gauge', aggregator: 'sum', samples: (s) => [{ value: s.heap.bypassed ? 1 : 0 }] },
  {
    name: 'journals',
    help: 'Journal files by state: active (taking appends), warm (sealed, mapped), cold (sealed, read with pread).',
    type: 'gauge',
    aggregator: 'max',
    samples: (s) => {
      const { total, active, mapped } = s.journals
      // stats() counts the active journal among the mapped ones when it is mapped (the mmap backend), among the cold otherwise.
      const warm = Math.max(0, Math.min(mapped - active, total - active))
      return [
        { labels: { state: 'active' }, value: active },
        { labels: { state: 'warm' }, value: warm },
        { labels: { state: 'cold' }, value: Math.max(0, total - active - warm) },
      ]
    },
  },
  { name: 'journal_dead_ratio', help: 'The share of written journal bytes nothing can read any more (what compaction reclaims).', type: 'gauge', aggregator: 'max', samples: (s) => [{ value: s.disk.deadRatio }] },
  { name: 'write_amplification_ratio', help: 'Disk bytes appended (moves, reinsertions, tombstones included) per byte of key and value stored.', type: 'gauge', aggregator: 'max', samples: (s) => [{ value: s.writeAmplification }] },
  counter('disk_writes_total', 'Values written to the journals: the writes admission let through to disk.', (s: StoreStats) => s.disk.diskWrites),
  counter('admission_skipped_writes_total', 'Disk writes the admission policy saved (a key seen once is not written).', (s: StoreStats) => s.admission.diskWritesSaved),
  counter('compactions_total', 'Compaction runs that compacted at least one journal.', (s: StoreStats) => s.compaction.runs),
  counter('compacted_journals_total', 'Sealed journals compacted away: their live records moved, the file removed.', (s: StoreStats) => s.compaction.journals),
  counter('compaction_moved_records_total', 'Live records compaction re-appended.', (s: StoreStats) => s.compaction.moved),
  counter('compaction_superseded_records_total', 'Live records compaction left, as a write or delete replaced them while it ran.', (s: StoreStats) => s.compaction.superseded),
  counter('evictions_total', 'Journals the disk budget (maxDiskBytes) evicted, oldest first.', (s: StoreStats) => s.eviction.journals),
  counter('evicted_entries_total', 'Entries dropped with the journals evicted.', (s: StoreStats) => s.eviction.evicted),
  counter('reinsertions_total', 'Entries read since they were written, re-appended instead of evicted.', (s: StoreStats) => s.eviction.reinserted),
  counter('corruptions_total', 'Damaged stretches of journal that recovery or reads reported (never served).', (s: StoreStats) => s.corruptions),
  {
    name: 'background_errors_total',
    help: 'Failures of background work: interval flushes, and evictions or compactions (the store carries on).',
    type: 'counter',
    aggregator: 'sum',
    samples: (s) => [{ labels: { operation: 'flush' }, value: s.errors.flush }, { labels: { operation: 'maintenance' }, value: s.errors.maintenance }],
  },
]

/** The HTTP cache's families: HttpCacheStats (middleware/core/http-stats.ts). */
export const HTTP_FAMILIES: Family<HttpCacheStats>[] = [
  {
    name: 'http_responses_total',
    help: 'Responses by how the cache answered them, as their Cache-Status says: hit, stale, revalidated, miss, bypass, error.',
    type: 'counter',
    aggregator: 'sum',
    samples: (s) => HTTP_OUTCOMES.map((outcome) => ({ labels: { outcome }, value: s.responses[outcome] })),
  },
  {
    name: 'http_origin_duration_seconds',
    help: 'Seconds from sending a request on to the origin to the origin\'s response head (misses, revalidations, bypasses; never a hit).',
    type: 'histogram',
    aggregator: 'sum',
    samples: ({ originLatency: h }) => [
      ...h.le.map((le, i): Sample => ({ suffix: '_bucket', labels: { le: String(le) }, value: h.counts[i] })),
      { suffix: '_bucket', labels: { le: '+Inf' }, value: h.count },
      { suffix: '_sum', value: h.sum },
      { suffix: '_count', value: h.count },
    ],
  },
  counter('http_stored_responses_total', 'Responses stored for later requests (a 304 that renews an entry aside).', (s: HttpCacheStats) => s.stored),
  counter('http_stored_bytes_total', 'Bytes of the responses stored, as encoded.', (s: HttpCacheStats) => s.storedBytes),
  counter('http_coalesced_total', 'Requests served from another request\'s fetch of the same URL.', (s: HttpCacheStats) => s.coalesced),
  counter('http_errors_total', 'Cache failures: a request passed through because of one, or a response could not be stored.', (s: HttpCacheStats) => s.errors),
  { name: 'http_buffered_bytes', help: 'Bytes of responses being copied for storing right now.', type: 'gauge', aggregator: 'sum', samples: (s) => [{ value: s.bufferedBytes }] },
]
