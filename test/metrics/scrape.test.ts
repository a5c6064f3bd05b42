/**
 * spillway/metrics scraped from a real Express app's /metrics route, over a
 * real store directory: the exposition is valid, its numbers are the
 * store's and the cache's stats() at the moment of the scrape, and known
 * traffic gives known counts.
 */
import assert from 'node:assert/strict'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import express from 'express'
import { Registry } from 'prom-client'
import { openStore, type Store, type StoreStats } from '../../src/index.js'
import { httpCache, type HttpCacheMiddleware, type HttpCacheStats } from '../../middleware/express.js'
import { registerSpillwayMetrics } from '../../middleware/metrics.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { parseExposition, valueOf, type ExpoFamily } from './exposition.js'

interface MetricsApp {
  url: string
  store: Store
  cache: HttpCacheMiddleware
  registry: Registry
  scrape(): Promise<Map<string, ExpoFamily>>
}

async function startMetricsApp(registry = new Registry()): Promise<MetricsApp> {
  const store = await openStore({ dir: tempDir('metrics'), admission: 'always' })
  const cache = httpCache({ store, admission: 'always' })
  registerSpillwayMetrics({ store, cache, registry })
  const app = express()
  // Before the cache: a scrape is never cached, nor counted among the responses.
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics())
  })
  app.use(cache)
  app.get('/page/:n', (req, res) => {
    res.set('cache-control', 'max-age=60').send(`page ${req.params.n}`)
  })
  const server: Server = app.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  after(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    await store.close()
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    store,
    cache,
    registry,
    scrape: async () => {
      const res = await rawRequest(`${url}/metrics`)
      assert.equal(res.status, 200)
      assert.equal(res.headers['content-type'], registry.contentType)
      return parseExposition(res.body.toString())
    },
  }
}

/** Every store family's samples, as stats() says they should be. */
function expectedStoreSamples(s: StoreStats): Array<[string, Record<string, string>, number]> {
  const tiers = (name: string, field: 'hits' | 'misses' | 'entries' | 'bytes' | 'maxBytes'): Array<[string, Record<string, string>, number]> =>
    [[name, { tier: 'heap' }, s.heap[field]], [name, { tier: 'disk' }, s.disk[field]]]
  return [
    ...tiers('spillway_cache_hits_total', 'hits'),
    ...tiers('spillway_cache_misses_total', 'misses'),
    ...tiers('spillway_cache_entries', 'entries'),
    ...tiers('spillway_cache_bytes', 'bytes'),
    ...tiers('spillway_cache_max_bytes', 'maxBytes'),
    ['spillway_keydir_bytes', {}, s.disk.keydirBytes],
    ['spillway_heap_tier_bypassed', {}, s.heap.bypassed ? 1 : 0],
    ['spillway_journal_dead_ratio', {}, s.disk.deadRatio],
    ['spillway_write_amplification_ratio', {}, s.writeAmplification],
    ['spillway_disk_writes_total', {}, s.disk.diskWrites],
    ['spillway_admission_skipped_writes_total', {}, s.admission.diskWritesSaved],
    ['spillway_compactions_total', {}, s.compaction.runs],
    ['spillway_compacted_journals_total', {}, s.compaction.journals],
    ['spillway_compaction_moved_records_total', {}, s.compaction.moved],
    ['spillway_compaction_superseded_records_total', {}, s.compaction.superseded],
    ['spillway_evictions_total', {}, s.eviction.journals],
    ['spillway_evicted_entries_total', {}, s.eviction.evicted],
    ['spillway_reinsertions_total', {}, s.eviction.reinserted],
    ['spillway_corruptions_total', {}, s.corruptions],
    ['spillway_background_errors_total', { operation: 'flush' }, s.errors.flush],
    ['spillway_background_errors_total', { operation: 'maintenance' }, s.errors.maintenance],
  ]
}

function expectedHttpSamples(h: HttpCacheStats): Array<[string, Record<string, string>, number]> {
  return [
    ...Object.entries(h.responses).map(([outcome, n]): [string, Record<string, string>, number] => ['spillway_http_responses_total', { outcome }, n]),
    ['spillway_http_stored_responses_total', {}, h.stored],
    ['spillway_http_stored_bytes_total', {}, h.storedBytes],
    ['spillway_http_coalesced_total', {}, h.coalesced],
    ['spillway_http_errors_total', {}, h.errors],
    ['spillway_http_buffered_bytes', {}, h.bufferedBytes],
  ]
}

function assertEqualsStats(families: Map<string, ExpoFamily>, store: StoreStats, http: HttpCacheStats): void {
  for (const [name, labels, value] of [...expectedStoreSamples(store), ...expectedHttpSamples(http)]) {
    assert.equal(valueOf(families, name, labels), value, `${name}${JSON.stringify(labels)}`)
  }
  const journals = ['active', 'warm', 'cold'].map((state) => valueOf(families, 'spillway_journals', { state }))
  assert.equal(journals.reduce((a, b) => a + b, 0), store.journals.total)
  assert.equal(journals[0], store.journals.active)
  const name = 'spillway_http_origin_duration_seconds'
  http.originLatency.le.forEach((le, i) => assert.equal(valueOf(families, name, { le: String(le) }, `${name}_bucket`), http.originLatency.counts[i]))
  assert.equal(valueOf(families, name, { le: '+Inf' }, `${name}_bucket`), http.originLatency.count)
  assert.equal(valueOf(families, name, {}, `${name}_count`), http.originLatency.count)
  assert.equal(valueOf(families, name, {}, `${name}_sum`), http.originLatency.sum)
}

describe('spillway/metrics scraped from /metrics', () => {
  it('after three misses and two hits: responses_total miss 3 and hit 2, three origin fetches, and every number equal to stats()', async () => {
    const app = await startMetricsApp()
    for (const n of [1, 2, 3]) assert.equal((await rawRequest(`${app.url}/page/${n}`)).body.toString(), `page ${n}`)
    for (let i = 0; i < 2; i++) assert.match(String((await rawRequest(`${app.url}/page/1`)).headers['cache-status']), /hit/)
    const families = await app.scrape()
    // Nothing runs between the scrape and these: the scrape's numbers are these.
    const store = app.store.stats()
    const http = app.cache.stats()
    assert.equal(valueOf(families, 'spillway_http_responses_total', { outcome: 'miss' }), 3)
    assert.equal(valueOf(families, 'spillway_http_responses_total', { outcome: 'hit' }), 2)
    assert.equal(valueOf(families, 'spillway_http_responses_total', { outcome: 'bypass' }), 0)
    assert.equal(valueOf(families, 'spillway_http_origin_duration_seconds', {}, 'spillway_http_origin_duration_seconds_count'), 3)
    assert.equal(valueOf(families, 'spillway_http_stored_responses_total'), 3)
    assert.ok(valueOf(families, 'spillway_cache_hits_total', { tier: 'heap' }) + valueOf(families, 'spillway_cache_hits_total', { tier: 'disk' }) >= 2,
      'the two hits were the store\'s')
    assert.equal(valueOf(families, 'spillway_journals', { state: 'active' }), 1)
    assertEqualsStats(families, store, http)
  })

  it('names, types and HELP follow the conventions: a prefix, _total on counters only, base units', async () => {
    const app = await startMetricsApp()
    await rawRequest(`${app.url}/page/1`)
    const families = await app.scrape()
    assert.equal(families.size, 28)
    for (const family of families.values()) {
      assert.match(family.name, /^spillway_[a-z_]+$/)
      assert.ok(family.help.length > 20, `${family.name} has a HELP line`)
      assert.equal(family.type === 'counter', family.name.endsWith('_total'), `${family.name} (${family.type}): _total on counters, only`)
      assert.ok(!/_(ms|milliseconds|kb|mb|kib|mib)(_|$)/.test(family.name), `${family.name} is in base units`)
      assert.ok(family.samples.length > 0, `${family.name} has samples`)
    }
    assert.equal(families.get('spillway_http_origin_duration_seconds')?.type, 'histogram')
    assert.equal(families.get('spillway_cache_bytes')?.type, 'gauge')
  })

  it('a cache that opened its own store: registered with the cache alone, the scrape has that store\'s numbers too, and none once it is closed', async () => {
    const cache = httpCache({ dir: tempDir('metrics-own-store'), admission: 'always' })
    await cache.ready
    const registry = new Registry()
    registerSpillwayMetrics({ cache, registry })
    const store = cache.store()
    assert.ok(store !== undefined, 'the cache shows the store it opened')
    await store.set('k', 'v')
    const families = parseExposition(await registry.metrics())
    assertEqualsStats(families, store.stats(), cache.stats())
    assert.equal(valueOf(families, 'spillway_cache_entries', { tier: 'disk' }), 1)
    await cache.close()
    const closed = parseExposition(await registry.metrics())
    assert.equal(closed.get('spillway_cache_entries')?.samples.length ?? 0, 0, 'a closed store is left out of the scrape')
    assert.ok(closed.has('spillway_http_responses_total') || closed.has('spillway_http_responses'), 'the cache\'s own numbers are still there')
  })

  it('reads stats() once per scrape, so the families of one scrape agree', async () => {
    const dir = tempDir('metrics')
    const store = await openStore({ dir })
    after(() => store.close())
    let calls = 0
    const registry = new Registry()
    registerSpillwayMetrics({ store: { stats: () => (calls++, store.stats()) }, registry })
    await registry.metrics()
    assert.equal(calls, 1)
    await registry.getMetricsAsJSON()
    assert.equal(calls, 2)
  })

  it('shows compactions once the store has compacted', async () => {
    const store = await openStore({ dir: tempDir('metrics'), journalBytes: 64 * 1024, admission: 'always' })
    after(() => store.close())
    const registry = new Registry()
    registerSpillwayMetrics({ store, registry })
    const value = Buffer.alloc(2000, 7)
    // The same 20 keys written over and over: sealed journals full of superseded records.
    for (let round = 0; round < 8; round++) for (let k = 0; k < 20; k++) await store.set(`key ${k}`, value)
    // compact() waits for a compaction the writes started in the background, or runs one.
    await store.compact()
    const families = parseExposition(await registry.metrics())
    const stats = store.stats()
    assert.equal(valueOf(families, 'spillway_compactions_total'), stats.compaction.runs)
    assert.ok(stats.compaction.runs >= 1, 'the store compacted')
    assert.equal(valueOf(families, 'spillway_compacted_journals_total'), stats.compaction.journals)
    assert.equal(valueOf(families, 'spillway_compaction_moved_records_total'), stats.compaction.moved)
    assert.equal(valueOf(families, 'spillway_disk_writes_total'), stats.disk.diskWrites)
  })

  it('an OpenMetrics registry names counters its way and ends with # EOF', async () => {
    const registry = new Registry()
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as never)
    const app = await startMetricsApp(registry)
    await rawRequest(`${app.url}/page/1`)
    for (let scrape = 0; scrape < 2; scrape++) {
      const text = (await rawRequest(`${app.url}/metrics`)).body.toString()
      assert.match(text, /^# TYPE spillway_http_responses counter$/m)
      assert.match(text, /^spillway_http_responses_total\{outcome="miss"\} 1$/m)
      assert.match(text, /^spillway_http_origin_duration_seconds_count 1$/m)
      assert.ok(text.endsWith('# EOF\n'))
    }
  })
})
