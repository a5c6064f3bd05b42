/**
 * A heap tier that does not pay for itself is bypassed (issue 15, target 4):
 * a full tier hitting under a quarter of its lookups sends most reads
 * straight to disk. Tried as an attacker would: the reads must return what
 * the tier would have returned, through overwrites, deletes and expiry while
 * bypassed, and a value held only in the heap tier must never be skipped.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore, type Store } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { tempDir } from '../helpers/temp-dir.js'

const KEYS = 4000
/** Room for about 20 entries of the values below: far fewer than the keys. */
const SMALL_TIER = 20 * 260
/** The tier judges itself every 8192 lookups; while bypassed one read in 32 looks. */
const TO_BYPASS = 50_000
const TO_RETURN = 400_000
const SEED = process.env.SPILLWAY_SEED === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(process.env.SPILLWAY_SEED)

function valueOf(key: number, version: number): Buffer {
  return Buffer.from(`${key}:${version}:`.padEnd(100, '.'))
}

/** Reads `count` keys drawn by `pick`, checking each against `model`. */
function readChecked(store: Store, model: Map<number, Buffer>, count: number, pick: () => number): void {
  for (let i = 0; i < count; i++) {
    const key = pick()
    assert.deepEqual(store.getSync(`k${key}`), model.get(key), `read ${i} of k${key} (seed ${SEED})`)
  }
}

for (const backend of BACKENDS) {
  describe(`a heap tier that does not pay is bypassed (${backend}, seed ${SEED})`, () => {
    it('bypasses a small tier on uniform reads, serves every change made meanwhile, and comes back for a hot set', async () => {
      const random = seededRandom(SEED)
      let now = 1_700_000_000_000
      const store = await openStore({ dir: tempDir('heap-bypass'), backend, maxHeapBytes: SMALL_TIER, now: () => now })
      try {
        const model = new Map<number, Buffer>()
        for (let key = 0; key < KEYS; key++) {
          model.set(key, valueOf(key, 0))
          await store.set(`k${key}`, model.get(key)!)
        }
        readChecked(store, model, TO_BYPASS, () => Math.floor(random() * KEYS))
        assert.equal(store.stats().heap.bypassed, true, 'uniform reads over 200 times the tier did not bypass it')
        // Changes while bypassed, to keys the tier may hold: overwrites, deletes and an expiry.
        const held = [...Array(KEYS).keys()].filter(() => random() < 0.05)
        for (const key of held) {
          if (key % 3 === 0) {
            await store.delete(`k${key}`)
            model.delete(key)
          } else if (key % 3 === 1) {
            model.set(key, valueOf(key, 1))
            await store.set(`k${key}`, model.get(key)!)
          } else {
            model.set(key, valueOf(key, 2))
            await store.set(`k${key}`, model.get(key)!, { ttl: 1000 })
          }
        }
        readChecked(store, model, 50_000, () => Math.floor(random() * KEYS))
        now += 5000
        for (const key of held) if (key % 3 === 2) model.delete(key)
        readChecked(store, model, 50_000, () => Math.floor(random() * KEYS))
        // A hot set of five keys: the sampled lookups find them, and the tier is used again.
        const hot = [...model.keys()].slice(0, 5)
        readChecked(store, model, TO_RETURN, () => hot[Math.floor(random() * hot.length)])
        assert.equal(store.stats().heap.bypassed, false, 'a hot set that fits the tier left it bypassed')
        const before = store.stats().heap.hits
        readChecked(store, model, 1000, () => hot[Math.floor(random() * hot.length)])
        assert.equal(store.stats().heap.hits - before, 1000, 'the hot set is served from the tier')
      } finally {
        await store.close()
      }
    })

    it('never bypasses a tier holding a value that is only there (admission second-hit)', async () => {
      const random = seededRandom(SEED)
      const store = await openStore({ dir: tempDir('heap-bypass'), backend, maxHeapBytes: SMALL_TIER, admission: 'second-hit' })
      try {
        const model = new Map<number, Buffer>()
        for (let key = 0; key < KEYS; key++) {
          model.set(key, valueOf(key, 0))
          // Twice: the second sighting reaches disk.
          await store.set(`k${key}`, model.get(key)!)
          await store.set(`k${key}`, model.get(key)!)
        }
        readChecked(store, model, TO_BYPASS, () => Math.floor(random() * KEYS))
        assert.equal(store.stats().heap.bypassed, true)
        // First sighting of a new key: held only in the heap tier. Every read must find it.
        model.set(KEYS, valueOf(KEYS, 0))
        await store.set(`k${KEYS}`, model.get(KEYS)!)
        assert.equal(store.stats().heap.bypassed, false, 'a heap-only value arrived and the tier is still bypassed')
        readChecked(store, model, 64, () => KEYS)
      } finally {
        await store.close()
      }
    })
  })
}
