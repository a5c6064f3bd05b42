/**
 * registerSpillwayMetrics with bad input: a TypeError (or a SpillwayError
 * with its code) at registration, nothing half-registered; and a scrape
 * that never throws, whatever a store or cache does after registering
 * (closed, or a stats() that throws): it leaves that source out.
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Counter, Registry } from 'prom-client'
import { openStore, SpillwayError, type Store } from '../../src/index.js'
import type { HttpCacheStats } from '../../middleware/express.js'
import { registerSpillwayMetrics, type SpillwayMetricsOptions } from '../../middleware/metrics.js'
import { tempDir } from '../helpers/temp-dir.js'
import { parseExposition, valueOf } from './exposition.js'

async function freshStore(): Promise<Store> {
  const store = await openStore({ dir: tempDir('metrics') })
  after(() => store.close())
  return store
}

const spillwayNames = async (registry: Registry) => (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('spillway_'))

describe('spillway/metrics with bad input', () => {
  it('refuses what is not a prom-client registry, a store or a cache, with a TypeError naming the option', async () => {
    const store = await freshStore()
    const refused: Array<[unknown, RegExp]> = [
      [undefined, /options must be an object/],
      [{ store, registry: {} }, /options\.registry must be a prom-client Registry/],
      [{ store, registry: 'default' }, /options\.registry must be a prom-client Registry/],
      [{ registry: new Registry() }, /options\.store or options\.cache must be given/],
      [{ store: {}, registry: new Registry() }, /options\.store must be a spillway store/],
      [{ cache: { stats: 1 }, registry: new Registry() }, /options\.cache must be a spillway HTTP cache/],
      [{ store, registry: new Registry(), prefix: '9lives_' }, /options\.prefix must be/],
      [{ store, registry: new Registry(), labels: { tier: 'x' } }, /options\.labels must use Prometheus label names other than/],
      [{ store, registry: new Registry(), labels: { 'a-b': 'x' } }, /options\.labels must use Prometheus label names/],
      [{ store, registry: new Registry(), labels: { shard: 3 } }, /options\.labels\.shard must be a string/],
    ]
    for (const [options, message] of refused) {
      assert.throws(() => registerSpillwayMetrics(options as SpillwayMetricsOptions), (err: Error) => err instanceof TypeError && message.test(err.message), String(message))
    }
  })

  it('refuses a closed store with ERR_STORE_CLOSED, registering nothing', async () => {
    const store = await openStore({ dir: tempDir('metrics') })
    await store.close()
    const registry = new Registry()
    assert.throws(() => registerSpillwayMetrics({ store, registry }), (err: unknown) => err instanceof SpillwayError && err.code === 'ERR_STORE_CLOSED')
    assert.deepEqual(await spillwayNames(registry), [])
  })

  it('a store closed after registering drops out of the scrape, which still answers with the cache\'s numbers', async () => {
    const store = await openStore({ dir: tempDir('metrics') })
    const cache = { stats: (): HttpCacheStats => ({ ...zeroHttpStats(), hits: 4, responses: { ...zeroHttpStats().responses, hit: 4 } }) }
    const registry = new Registry()
    registerSpillwayMetrics({ store, cache, registry })
    assert.ok(parseExposition(await registry.metrics()).get('spillway_cache_hits_total')!.samples.length > 0)
    await store.close()
    const families = parseExposition(await registry.metrics())
    assert.deepEqual(families.get('spillway_cache_hits_total')?.samples, [])
    assert.deepEqual(families.get('spillway_journals')?.samples, [])
    assert.equal(valueOf(families, 'spillway_http_responses_total', { outcome: 'hit' }), 4)
  })

  it('a stats() that throws leaves its source out of the scrape, never the scrape itself', async () => {
    const store = await freshStore()
    const registry = new Registry()
    registerSpillwayMetrics({ store, cache: { stats: () => { throw new Error('broken cache') } }, registry })
    const families = parseExposition(await registry.metrics())
    assert.deepEqual(families.get('spillway_http_responses_total')?.samples, [])
    assert.equal(valueOf(families, 'spillway_cache_hits_total', { tier: 'heap' }), store.stats().heap.hits)
  })

  it('a second store in one registry needs labels of its own: refused without, both scraped with, and each unregisters alone', async () => {
    const [a, b] = [await freshStore(), await freshStore()]
    await a.set('k', 'v')
    a.getSync('k')
    const registry = new Registry()
    const first = registerSpillwayMetrics({ store: a, registry, labels: { store: 'a' } })
    const before = await registry.metrics()
    assert.throws(() => registerSpillwayMetrics({ store: b, registry, labels: { store: 'a' } }), (err: Error) => err instanceof TypeError && /labels of its own/.test(err.message))
    assert.throws(() => registerSpillwayMetrics({ store: b, registry, labels: { shard: 'b' } }), (err: Error) => err instanceof TypeError && /must have the names/.test(err.message))
    assert.equal(await registry.metrics(), before, 'a refused registration changes nothing')
    const second = registerSpillwayMetrics({ store: b, registry, labels: { store: 'b' } })
    let families = parseExposition(await registry.metrics())
    assert.equal(valueOf(families, 'spillway_disk_writes_total', { store: 'a' }), a.stats().disk.diskWrites)
    assert.equal(valueOf(families, 'spillway_disk_writes_total', { store: 'b' }), 0)
    assert.equal(valueOf(families, 'spillway_cache_hits_total', { store: 'a', tier: 'heap' }) + valueOf(families, 'spillway_cache_hits_total', { store: 'a', tier: 'disk' }), 1)
    first.unregister()
    families = parseExposition(await registry.metrics())
    assert.deepEqual(families.get('spillway_disk_writes_total')?.samples.map((s) => s.labels), [{ store: 'b' }])
    second.unregister()
    assert.deepEqual(await spillwayNames(registry), [])
  })

  it('a name the registry holds for a metric of its own is refused (nothing registered); a prefix avoids it', async () => {
    const store = await freshStore()
    const registry = new Registry()
    new Counter({ name: 'spillway_corruptions_total', help: 'the app\'s own', registers: [registry] })
    assert.throws(() => registerSpillwayMetrics({ store, registry }), (err: Error) => err instanceof TypeError && /spillway_corruptions_total already, not spillway's/.test(err.message))
    assert.deepEqual(await spillwayNames(registry), ['spillway_corruptions_total'])
    const metrics = registerSpillwayMetrics({ store, registry, prefix: 'app_spillway_' })
    assert.ok(metrics.names.every((name) => name.startsWith('app_spillway_')))
    assert.equal(valueOf(parseExposition(await registry.metrics()), 'app_spillway_corruptions_total'), 0)
  })

  it('registry.resetMetrics() neither throws nor zeroes a number: they are stats()\'', async () => {
    const store = await freshStore()
    await store.set('k', 'v')
    const registry = new Registry()
    registerSpillwayMetrics({ store, registry })
    registry.resetMetrics()
    assert.equal(valueOf(parseExposition(await registry.metrics()), 'spillway_disk_writes_total'), 1)
  })

  it('without prom-client installed, spillway and spillway/metrics import, and registering gives ERR_PEER_MISSING', () => {
    // A package tree like the project's, prom-client left out; --preserve-symlinks resolves from it.
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    const tree = tempDir('no-prom')
    fs.mkdirSync(path.join(tree, 'node_modules'))
    for (const name of fs.readdirSync(path.join(root, 'node_modules'))) {
      if (name !== 'prom-client' && !name.startsWith('.')) fs.symlinkSync(path.join(root, 'node_modules', name), path.join(tree, 'node_modules', name))
    }
    for (const name of ['dist', 'native', 'package.json']) fs.symlinkSync(path.join(root, name), path.join(tree, name))
    const script = `
      import { openStore } from ${JSON.stringify(path.join(tree, 'dist/src/index.js'))}
      import { registerSpillwayMetrics } from ${JSON.stringify(path.join(tree, 'dist/middleware/metrics.js'))}
      import { createRequire } from 'node:module'
      let found = true
      try { createRequire(${JSON.stringify(path.join(tree, 'dist/middleware/metrics.js'))}).resolve('prom-client') } catch { found = false }
      const store = await openStore({ dir: ${JSON.stringify(tempDir('no-prom-store'))} })
      let outcome
      try { registerSpillwayMetrics({ store }); outcome = 'registered' } catch (err) { outcome = { name: err.name, code: err.code, message: err.message } }
      await store.close()
      console.log(JSON.stringify({ found, outcome }))
    `
    const out = execFileSync(process.execPath, ['--preserve-symlinks', '--input-type=module', '-e', script], { cwd: tree, encoding: 'utf8' })
    const { found, outcome } = JSON.parse(out.trim().split('\n').pop()!)
    assert.equal(found, false, 'the tree has no prom-client')
    assert.equal(outcome.name, 'SpillwayError')
    assert.equal(outcome.code, 'ERR_PEER_MISSING')
    assert.match(outcome.message, /npm install prom-client/)
  })
})

function zeroHttpStats(): HttpCacheStats {
  return {
    hits: 0, misses: 0, stale: 0, bypasses: 0, coalesced: 0, stored: 0, storedBytes: 0, errors: 0, bufferedBytes: 0,
    responses: { hit: 0, stale: 0, revalidated: 0, miss: 0, bypass: 0, error: 0 },
    originLatency: { le: [0.1, 1], counts: [0, 0], count: 0, sum: 0 },
  }
}
