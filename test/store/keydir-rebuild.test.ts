import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore, type StoreOptions } from '../../src/index.js'
import { hashKey } from '../../src/key-hash.js'
import { BACKENDS } from '../helpers/backends.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * An open gathers the records it replays and resolves them in hash order
 * (src/store/replayed-records.ts). These check that the outcome is the one
 * replaying them one by one would give, where it is easiest to get wrong:
 * keys whose hashes collide, overwrites, deletes and expiry across journals,
 * and the size of the keydir it builds.
 */
const MAX_KEYDIR_BYTES_PER_KEY = 32

/** Pairs of distinct keys `k-<n>` whose 32-bit hashes are equal, found by search (about 18 among 400,000 keys). */
function collidingPairs(count: number): [string, string][] {
  const seen = new Map<number, string>()
  const pairs: [string, string][] = []
  for (let n = 0; pairs.length < count; n++) {
    const key = `k-${n}`
    const bytes = Buffer.from(key)
    const hash = hashKey(bytes, 0, bytes.byteLength)
    const other = seen.get(hash)
    if (other === undefined) seen.set(hash, key)
    else pairs.push([other, key])
  }
  return pairs
}

describe('the keydir an open rebuilds', () => {
  const pairs = collidingPairs(6)

  for (const backend of BACKENDS) {
    for (const seed of [1, 2, 3]) {
      it(`agrees with a Map after reopens, with colliding keys overwritten, deleted and expiring across journals (${backend} backend, seed ${seed})`, async () => {
        const random = seededRandom(seed)
        let clock = 1_000_000
        const options: StoreOptions = {
          dir: tempDir('keydir-rebuild-model'), backend, journalBytes: 64 * 1024, maxDiskBytes: 2 ** 30, maxHeapBytes: 0,
          maintenance: false, autoCompact: false, compression: false, now: () => clock,
        }
        const keys = [...pairs.flat(), ...Array.from({ length: 40 }, (_, i) => `o-${i}`)]
        const model = new Map<string, { value: string; expiresAt: number }>()
        const check = (store: Awaited<ReturnType<typeof openStore>>, when: string) => {
          let live = 0
          for (const key of keys) {
            const want = model.get(key)
            const fresh = want !== undefined && want.expiresAt > clock
            if (fresh) live++
            assert.equal(store.getSync(key)?.toString(), fresh ? want.value : undefined, `${key} ${when}`)
          }
          return live
        }
        let store = await openStore(options)
        for (let step = 0; step < 2500; step++) {
          const key = keys[Math.floor(random() * keys.length)]
          const roll = random()
          if (roll < 0.6) {
            const value = `${key}@${step}:`.padEnd(40 + Math.floor(random() * 400), 'v')
            const ttl = random() < 0.5 ? undefined : 1 + Math.floor(random() * 5000)
            await store.set(key, Buffer.from(value), ttl === undefined ? {} : { ttl })
            model.set(key, { value, expiresAt: ttl === undefined ? Infinity : clock + ttl })
          } else if (roll < 0.8) {
            await store.delete(key)
            model.delete(key)
          } else if (roll < 0.98) {
            clock += Math.floor(random() * 300)
          } else {
            await store.close()
            store = await openStore(options)
            check(store, `after the reopen at step ${step}`)
          }
        }
        await store.close()
        store = await openStore(options)
        try {
          const live = check(store, 'after the last reopen')
          assert.ok(store.stats().disk.entries >= live, 'every live key has an entry')
        } finally {
          await store.close()
        }
      })
    }

    it(`stays within ${MAX_KEYDIR_BYTES_PER_KEY} bytes a key when most records are overwritten or deleted, and finds every key (${backend} backend)`, async () => {
      const keys = 6000
      const options = { dir: tempDir('keydir-rebuild'), backend, journalBytes: 256 * 1024, maxDiskBytes: 2 ** 30, maxHeapBytes: 0, autoCompact: false, maintenance: false, compression: false }
      let store = await openStore(options)
      const value = (key: number, round: number) => Buffer.from(`${key}:${round}:`.padEnd(100, 'v'))
      // Eight records a key in all, half of the keys deleted by the last: sized for records, the keydir would take 360 bytes a key.
      for (let round = 0; round < 8; round++) {
        for (let k = 0; k < keys; k++) {
          if (round === 7 && k % 2 === 1) await store.delete(`key-${k}`)
          else await store.set(`key-${k}`, value(k, round))
        }
      }
      await store.close()
      store = await openStore(options)
      try {
        const { entries, keydirBytes } = store.stats().disk
        assert.equal(entries, keys / 2)
        assert.ok(keydirBytes / entries <= MAX_KEYDIR_BYTES_PER_KEY, `${(keydirBytes / entries).toFixed(1)} bytes a key`)
        for (let k = 0; k < keys; k++) {
          const got = store.getSync(`key-${k}`)
          if (k % 2 === 1) assert.equal(got, undefined, `key-${k} was deleted`)
          else assert.equal(got?.toString(), value(k, 7).toString(), `key-${k}`)
        }
      } finally {
        await store.close()
      }
    })
  }
})
