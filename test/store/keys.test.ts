/**
 * What keys() sees while the store changes under it (issue 7 §5): a key
 * live for the whole iteration is yielded exactly once, whatever
 * compactions and evictions run meanwhile; a key deleted before its turn is
 * not yielded.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore, type Store } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
const LIVE = 30
const FILLER = Buffer.alloc(2000, 0x66)

/** LIVE keys spread over several journals, each journal mostly dead, so a compaction moves every one of them. */
async function spreadKeys(store: Store): Promise<string[]> {
  const keys: string[] = []
  for (let i = 0; i < LIVE; i++) {
    keys.push(`live-${i}`)
    await store.set(`live-${i}`, Buffer.alloc(300, i))
    for (let j = 0; j < 5; j++) await store.set('dead', FILLER)
  }
  return keys
}

async function collect(store: Store, during: (yielded: number) => Promise<void>): Promise<string[]> {
  const seen: string[] = []
  for await (const key of store.keys()) {
    seen.push(key)
    await during(seen.length)
  }
  return seen
}

for (const backend of BACKENDS) {
  describe(`keys() while the store changes (${backend} backend)`, () => {
    it('a compaction during the iteration skips no live key and repeats none', async () => {
      const store = await openStore({ dir: tempDir('keys'), backend, journalBytes: JOURNAL_BYTES, autoCompact: false })
      const keys = await spreadKeys(store)
      const journalsBefore = store.stats().journals.total
      const seen = await collect(store, async (n) => {
        if (n === 1) assert.ok((await store.compact()).journals.length > 2, 'the compaction removed journals holding keys not yet yielded')
      })
      assert.ok(store.stats().journals.total < journalsBefore)
      assert.deepEqual(seen.filter((k) => k !== 'dead').sort(), keys.sort())
      assert.equal(new Set(seen).size, seen.length, 'no key twice')
      await store.close()
    })

    it('automatic compactions during the iteration skip no live key either', async () => {
      const store = await openStore({ dir: tempDir('keys-auto'), backend, journalBytes: JOURNAL_BYTES })
      const keys = await spreadKeys(store)
      const runsBefore = store.stats().compaction.runs
      const seen = await collect(store, async (n) => {
        if (n !== 1) return
        // Writes that fill journals: automatic compaction runs; close() would wait for it, a flush of the queue does here.
        for (let j = 0; j < 200; j++) await store.set('dead', FILLER)
        await store.compact()
      })
      assert.ok(store.stats().compaction.runs > runsBefore, 'compactions ran during the iteration')
      assert.deepEqual(seen.filter((k) => k !== 'dead').sort(), keys.sort())
      assert.equal(new Set(seen).size, seen.length, 'no key twice')
      await store.close()
    })

    it('a key deleted before its turn is not yielded; one deleted after was', async () => {
      const store = await openStore({ dir: tempDir('keys-delete'), backend, journalBytes: JOURNAL_BYTES, autoCompact: false })
      const keys = await spreadKeys(store)
      await store.delete('dead')
      const deleted = new Set<string>()
      const seen = await collect(store, async (n) => {
        if (n !== 1) return
        for (const k of keys) {
          if (k !== 'live-0' && Number(k.slice(5)) % 2 === 0) {
            await store.delete(k)
            deleted.add(k)
          }
        }
      })
      const first = seen[0]
      assert.deepEqual(seen.slice(1).filter((k) => deleted.has(k)), [], 'no key deleted before its turn')
      assert.deepEqual([...seen].sort(), keys.filter((k) => !deleted.has(k) || k === first).sort())
      await store.close()
    })
  })
}
