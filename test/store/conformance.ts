/**
 * The behaviour every way of opening a Store must show, in one suite that
 * runs against each (undici's cacheStoreTests is the model): call
 * storeConformance with a label and an opener.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import type { Store, StoreOptions } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

export type OpenStore = (options: StoreOptions) => Promise<Store>

const KiB = 1024

export function storeConformance(label: string, open: OpenStore): void {
  describe(`Store conformance (${label})`, () => {
    const fresh = (extra: Partial<StoreOptions> = {}) => open({ dir: tempDir('store'), journalBytes: 256 * KiB, ...extra })

    it('gives back what was set, as a Buffer, from strings, Buffers and Uint8Arrays', async () => {
      const store = await fresh()
      await store.set('string', 'héllo')
      await store.set('buffer', Buffer.from([1, 2, 3]))
      await store.set('uint8array', new Uint8Array([4, 5]))
      await store.set('empty', '')
      assert.deepEqual(await store.get('string'), Buffer.from('héllo'))
      assert.deepEqual(await store.get('buffer'), Buffer.from([1, 2, 3]))
      assert.deepEqual(store.getSync('uint8array'), Buffer.from([4, 5]))
      assert.deepEqual(await store.get('empty'), Buffer.alloc(0))
      assert.equal(await store.get('absent'), undefined)
      assert.ok(Buffer.isBuffer(await store.get('uint8array')))
      await store.close()
    })

    it('keeps its own copy: mutating the Buffer passed to set changes nothing stored', async () => {
      const store = await fresh()
      const value = Buffer.from('original')
      await store.set('k', value)
      value.fill(0)
      assert.equal((await store.get('k'))!.toString(), 'original')
      await store.close()
    })

    it('an overwrite wins, in the heap tier, on disk and after a reopen', async () => {
      const dir = tempDir('overwrite')
      let store = await open({ dir, journalBytes: 256 * KiB, maxHeapBytes: 0 })
      await store.set('k', 'one')
      await store.set('k', 'two')
      assert.equal((await store.get('k'))!.toString(), 'two')
      await store.close()
      store = await open({ dir, journalBytes: 256 * KiB })
      assert.equal((await store.get('k'))!.toString(), 'two')
      await store.close()
    })

    it('delete removes a key and says whether it held a value', async () => {
      const store = await fresh()
      await store.set('k', 'v')
      assert.equal(store.has('k'), true)
      assert.equal(await store.delete('k'), true)
      assert.equal(await store.delete('k'), false)
      assert.equal(await store.get('k'), undefined)
      assert.equal(store.has('k'), false)
      await store.close()
    })

    it('survives a restart: values, deletes and purges', async () => {
      const dir = tempDir('restart')
      let store = await open({ dir, journalBytes: 256 * KiB })
      for (let i = 0; i < 3000; i++) await store.set(`key-${i}`, `value-${i}`, { tags: [`group-${i % 3}`] })
      await store.delete('key-7')
      assert.equal(await store.purgeTag('group-1'), 999, 'key-7 was in group-1 and already deleted')
      await store.close()
      store = await open({ dir, journalBytes: 256 * KiB })
      assert.equal((await store.get('key-0'))!.toString(), 'value-0')
      assert.equal(await store.get('key-7'), undefined, 'deleted stays deleted')
      assert.equal(await store.get('key-4'), undefined, 'purged stays purged')
      assert.equal(await store.get('key-2998'), undefined, 'key-2998 was in group-1')
      assert.equal((await store.get('key-2999'))!.toString(), 'value-2999')
      const keys = []
      for await (const key of store.keys()) keys.push(key)
      assert.equal(keys.length, 2000)
      assert.equal(await store.purgeTag('group-2'), 1000, 'the tag index was rebuilt at open')
      await store.close()
    })

    it('expires entries by the injected clock, in both tiers and across a reopen', async () => {
      const dir = tempDir('ttl')
      let now = 1_700_000_000_000
      const clock = () => now
      let store = await open({ dir, journalBytes: 256 * KiB, now: clock })
      await store.set('short', 'v', { ttl: 1000 })
      await store.set('long', 'v', { ttl: 60_000 })
      await store.set('forever', 'v')
      now += 999
      assert.equal((await store.get('short'))?.toString(), 'v')
      now += 1
      assert.equal(await store.get('short'), undefined, 'expired at exactly its ttl')
      assert.equal(store.has('short'), false)
      await store.close()
      store = await open({ dir, journalBytes: 256 * KiB, now: clock, maxHeapBytes: 0 })
      assert.equal(await store.get('short'), undefined)
      assert.equal((await store.get('long'))?.toString(), 'v')
      now += 60_000
      assert.equal(await store.get('long'), undefined)
      assert.equal((await store.get('forever'))?.toString(), 'v')
      const keys = []
      for await (const key of store.keys()) keys.push(key)
      assert.deepEqual(keys, ['forever'])
      await store.close()
    })

    it('purgeTag invalidates exactly the entries carrying the tag, and counts them', async () => {
      const store = await fresh()
      await store.set('a', '1', { tags: ['red', 'big'] })
      await store.set('b', '2', { tags: ['red'] })
      await store.set('c', '3', { tags: ['blue'] })
      await store.set('d', '4')
      await store.set('b', '2 again', { tags: ['blue'] })
      assert.equal(await store.purgeTag('red'), 1, 'b no longer carries red')
      assert.equal(await store.get('a'), undefined)
      assert.equal((await store.get('b'))!.toString(), '2 again')
      assert.equal(await store.purgeTag('blue'), 2)
      assert.equal(await store.purgeTag('nothing'), 0)
      assert.equal((await store.get('d'))!.toString(), '4')
      await store.close()
    })

    it('bad input is refused with a typed error and changes nothing', async () => {
      const store = await fresh()
      await store.set('k', 'kept')
      for (const key of [1, null, undefined, {}, '', 'a\ud800', '\udc00x', 'é\ud800']) {
        await assert.rejects(store.set(key as string, 'v'), { code: 'ERR_KEY_INVALID' })
        await assert.rejects(store.get(key as string), { code: 'ERR_KEY_INVALID' })
      }
      await assert.rejects(store.set('x'.repeat(70_000), 'v'), { code: 'ERR_KEY_TOO_LARGE' })
      await assert.rejects(store.set('k', 42 as unknown as string), { code: 'ERR_VALUE_INVALID' })
      await assert.rejects(store.set('k', 'v', { ttl: -1 }), { code: 'ERR_VALUE_INVALID', message: /ttl/ })
      await assert.rejects(store.set('k', 'v', { tags: [''] }), { code: 'ERR_VALUE_INVALID', message: /tag/ })
      await assert.rejects(store.set('k', randomBytes(300 * KiB)), { code: 'ERR_VALUE_TOO_LARGE' })
      await assert.rejects(store.purgeTag(''), { code: 'ERR_VALUE_INVALID' })
      for (let i = 0; i < 3; i++) assert.equal((await store.get('k'))!.toString(), 'kept')
      const closing = store.close()
      // Refused from the moment close() is called, even for a key the heap tier held.
      assert.throws(() => store.getSync('k'), { code: 'ERR_STORE_CLOSED' })
      await closing
      await assert.rejects(store.get('k'), { code: 'ERR_STORE_CLOSED' })
      await assert.rejects(store.set('k', 'v'), { code: 'ERR_STORE_CLOSED' })
    })

    it('a second open of the same directory shares it on mmap, and gives ERR_LOCKED on pread until the first closes', async () => {
      const dir = tempDir('locked')
      const first = await open({ dir, journalBytes: 256 * KiB })
      if (first.backend === 'pread') {
        await assert.rejects(open({ dir, journalBytes: 256 * KiB }),
          { code: 'ERR_LOCKED', message: new RegExp(`${dir}.*the pread backend cannot share a directory: use the mmap backend`) })
      } else {
        const second = await open({ dir, journalBytes: 256 * KiB })
        await first.set('k', 'from the first')
        assert.equal((await second.get('k'))?.toString(), 'from the first')
        await second.delete('k')
        assert.equal(await first.get('k'), undefined)
        await assert.rejects(open({ dir, journalBytes: 512 * KiB }),
          { code: 'ERR_OPTIONS_CONFLICT', message: /journalBytes 262144; this open asks for 524288/ })
        await second.close()
      }
      await first.close()
      const again = await open({ dir, journalBytes: 512 * KiB })
      await again.close()
    })

    it('bad options throw a TypeError naming the option', async () => {
      const dir = tempDir('options')
      await assert.rejects(open({ dir, maxHeapBytes: -1 }), { name: 'TypeError', message: /^Store options\.maxHeapBytes must be/ })
      await assert.rejects(open({ dir, durability: 'sometimes' as 'none' }), { name: 'TypeError', message: /options\.durability must be one of/ })
      await assert.rejects(open({ dir, journalBytes: 256 * KiB, maxDiskBytes: 256 * KiB }), { name: 'TypeError', message: /maxDiskBytes must be at least three journals/ })
      await assert.rejects(open({ dir: '' }), { name: 'TypeError', message: /options\.dir/ })
      await assert.rejects(open({ dir, compactionThreshold: 2 }), { name: 'TypeError', message: /compactionThreshold/ })
    })

    it('counts hits and misses per tier; a write goes around the heap tier, a value enters it on its second read', async () => {
      const store = await fresh({ maxHeapBytes: 1024 * KiB })
      await store.set('k', 'v')
      assert.equal(store.stats().heap.entries, 0)
      for (let i = 0; i < 3; i++) assert.equal((await store.get('k'))!.toString(), 'v')
      await store.get('absent')
      const stats = store.stats()
      assert.equal(stats.heap.entries, 1)
      assert.equal(stats.heap.hits, 1)
      assert.equal(stats.heap.misses, 3)
      assert.equal(stats.disk.hits, 2)
      assert.equal(stats.disk.misses, 1)
      assert.equal(stats.disk.entries, 1)
      assert.ok(stats.disk.keydirBytes > 0)
      await store.close()
    })

    it('flush resolves once writes are durable, in every durability mode', async () => {
      for (const durability of ['none', 'interval', 'always'] as const) {
        const store = await fresh({ durability })
        await store.set('k', 'v')
        await store.flush()
        assert.equal((await store.get('k'))!.toString(), 'v')
        await store.close()
      }
    })
  })
}
