import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

async function allKeys(store: { keys(): AsyncIterableIterator<string> }): Promise<string[]> {
  const keys: string[] = []
  for await (const key of store.keys()) keys.push(key)
  return keys
}

for (const backend of BACKENDS) {
  describe(`tags (${backend} backend)`, () => {
    it('purgeTag finds an entry the heap tier holds after eviction took its disk copy: the tiers agree', async () => {
      const dir = tempDir('tags-evict')
      const store = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, maxDiskBytes: 4 * JOURNAL_BYTES, maxHeapBytes: 1024 * 1024, compression: false })
      await store.set('K', 'first', { tags: ['T'] })
      assert.ok(await store.get('K'))
      assert.ok(await store.get('K'), 'two reads put K in the heap tier')
      await store.set('K', 'second', { tags: ['T'] })
      for (let i = 0; i < 3000 && store.stats().eviction.journals < 6; i++) await store.set(`filler-${i}`, Buffer.alloc(300, i & 0xff))
      assert.ok(store.stats().eviction.journals >= 6, 'the journal holding K was evicted')
      const held = (await store.get('K')) !== undefined
      const listed = (await allKeys(store)).includes('K')
      assert.equal(held, store.has('K'), 'get and has agree')
      assert.equal(held, listed, 'get and keys() agree')
      assert.equal(await store.purgeTag('T'), held ? 1 : 0, 'purgeTag counts K exactly when K is still readable')
      assert.equal(await store.get('K'), undefined)
      assert.equal(store.has('K'), false)
      await store.close()
    })

    it('purges exactly the tagged entries across sealed journals, small values and large, and the purge outlives a restart', async () => {
      const dir = tempDir('tags-scattered')
      const options = { dir, backend, journalBytes: JOURNAL_BYTES, compression: false, autoCompact: false }
      const store = await openStore(options)
      const valueOf = (i: number): string => `v${i}-`.repeat(i % 5 === 0 ? 5000 : 20)
      for (let i = 0; i < 300; i++) await store.set(`k${i}`, valueOf(i), { tags: i % 3 === 0 ? ['a', 'z'] : ['b', 'z'] })
      assert.ok(store.stats().journals.total > 3, 'the entries span several journals')
      assert.equal(await store.purgeTag('a'), 100)
      const check = async (s: typeof store): Promise<void> => {
        for (let i = 0; i < 300; i++) {
          const got = (await s.get(`k${i}`))?.toString()
          assert.equal(got, i % 3 === 0 ? undefined : valueOf(i), `k${i}`)
        }
      }
      await check(store)
      await store.close()
      const reopened = await openStore(options)
      await check(reopened)
      assert.equal(await reopened.purgeTag('a'), 0)
      assert.equal(await reopened.purgeTag('b'), 200)
      await reopened.close()
    })

    it('copies the tags array it is given: emptying it later tags nothing', async () => {
      const dir = tempDir('tags-copy')
      const store = await openStore({ dir, backend })
      const tags = ['x']
      await store.set('k', 'v1', { tags })
      tags.length = 0
      await store.set('k', 'v2')
      assert.equal(await store.purgeTag('x'), 0, 'v2 carries no tag')
      assert.equal((await store.get('k'))?.toString(), 'v2')
      await store.close()
      const reopened = await openStore({ dir, backend })
      assert.equal(await reopened.purgeTag('x'), 0)
      assert.equal((await reopened.get('k'))?.toString(), 'v2', 'the untagged value survives')
      await reopened.close()
    })

    it('copies the tags array of a heap-only entry too', async () => {
      const store = await openStore({ dir: tempDir('tags-copy-heap'), backend, admission: 'second-hit' })
      const tags = ['x']
      await store.set('k', 'v1', { tags })
      tags[0] = 'y'
      assert.equal(await store.purgeTag('y'), 0)
      assert.equal(await store.purgeTag('x'), 1)
      assert.equal(await store.get('k'), undefined)
      await store.close()
    })

    it('purges by tag after changes of tags, deletes, compaction and restarts', async () => {
      const dir = tempDir('tags-restart')
      const options = { dir, backend, journalBytes: JOURNAL_BYTES, compression: false }
      let store = await openStore(options)
      for (let i = 0; i < 2000; i++) await store.set(`k${i}`, `v${i}`, { tags: [`mod-${i % 7}`, 'all'] })
      for (let i = 0; i < 2000; i += 10) await store.set(`k${i}`, `w${i}`, { tags: ['retagged'] })
      for (let i = 1; i < 2000; i += 10) await store.delete(`k${i}`)
      await store.close()
      store = await openStore(options)
      // Of the 2000: 200 retagged and 200 deleted; mod-3 holds i ≡ 3 (mod 7) not ending in 0 or 1.
      const mod3 = Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 7 === 3 && i % 10 > 1)
      assert.equal(await store.purgeTag('mod-3'), mod3.length)
      await store.compact()
      await store.close()
      store = await openStore(options)
      assert.equal(await store.purgeTag('mod-3'), 0, 'the purge outlived a restart and a compaction')
      for (const i of mod3.slice(0, 20)) assert.equal(await store.get(`k${i}`), undefined)
      assert.equal(await store.purgeTag('retagged'), 200)
      assert.equal(await store.purgeTag('all'), 1600 - mod3.length)
      assert.equal((await allKeys(store)).length, 0)
      await store.close()
    })

    it('keys whose hashes collide keep their own tags through overwrites, purges and a restart', async () => {
      // Found by search: both pairs share a 32-bit key hash (murmur3, seed 0).
      const [a, b] = ['collide-13118', 'collide-112948']
      const dir = tempDir('tags-collide')
      let store = await openStore({ dir, backend })
      await store.set(a, 'a1', { tags: ['red'] })
      await store.set(b, 'b1', { tags: ['red', 'blue'] })
      await store.set(a, 'a2', { tags: ['green'] })
      assert.equal(await store.purgeTag('red'), 1, 'only b still carries red')
      assert.equal((await store.get(a))?.toString(), 'a2')
      await store.set(b, 'b2', { tags: ['green'] })
      await store.delete(a)
      await store.close()
      store = await openStore({ dir, backend })
      assert.equal(await store.purgeTag('green'), 1, "a's delete did not take b's posting")
      assert.equal(await store.get(b), undefined)
      await store.close()
    })

    it('a purge leaves entries whose tag only shares a hash prefix, and keys that share bytes', async () => {
      const store = await openStore({ dir: tempDir('tags-near'), backend })
      await store.set('a', '1', { tags: ['tag', 'tag2'] })
      await store.set('b', '2', { tags: ['tagX'] })
      await store.set('c', '3', { tags: ['ta'] })
      assert.equal(await store.purgeTag('tag'), 1)
      assert.equal(await store.get('a'), undefined)
      assert.equal((await store.get('b'))?.toString(), '2')
      assert.equal((await store.get('c'))?.toString(), '3')
      assert.equal(await store.purgeTag('tag2'), 0, "a's other postings left with it")
      await store.close()
    })
  })
}
