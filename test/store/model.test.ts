import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { openStore, type Store } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * The store against a Map, over random sequences of operations with reopens
 * and compactions in the middle. Journals are tiny so sequences cross many
 * rotations; the disk budget is unbounded, since a cache may legitimately
 * drop entries the model would keep.
 */
type Op =
  | { op: 'set'; key: string; value: Uint8Array; ttl?: number; tags?: string[] }
  | { op: 'delete'; key: string }
  | { op: 'get'; key: string }
  | { op: 'purge'; tag: string }
  | { op: 'tick'; ms: number }
  | { op: 'reopen' }
  | { op: 'compact' }

interface ModelEntry { value: Buffer; expiresAt: number; tags: string[] }

const key = fc.constantFrom(...Array.from({ length: 12 }, (_, i) => `k${i}`), 'ünï', 'a'.repeat(300))
const tag = fc.constantFrom('red', 'green', 'blue')
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('set' as const), key, value: fc.uint8Array({ maxLength: 3000 }), ttl: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }), tags: fc.option(fc.array(tag, { maxLength: 2 }), { nil: undefined }) }, { requiredKeys: ['op', 'key', 'value'] }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('purge' as const), tag }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 3000 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reopen' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'compact' as const }) },
)

for (const backend of BACKENDS) {
  describe(`the store against a Map model (${backend} backend)`, () => {
    it('agrees on every read, across reopens, expiries, purges and compactions', async () => {
      await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 120 }), fc.boolean(), async (ops, smallHeap) => {
        let now = 1_700_000_000_000
        const dir = tempDir('model')
        const options = { dir, backend, journalBytes: 64 * 1024, maxDiskBytes: Infinity, maxHeapBytes: smallHeap ? 0 : 1 << 20, now: () => now, compression: true, compressThreshold: 512 }
        const model = new Map<string, ModelEntry>()
        const live = (k: string) => {
          const e = model.get(k)
          return e !== undefined && (e.expiresAt === 0 || e.expiresAt > now) ? e : undefined
        }
        let store: Store = await openStore(options)
        try {
          for (const o of ops) {
            switch (o.op) {
              case 'set':
                await store.set(o.key, o.value, { ttl: o.ttl, tags: o.tags })
                model.set(o.key, { value: Buffer.from(o.value), expiresAt: o.ttl === undefined ? 0 : now + o.ttl, tags: o.tags ?? [] })
                break
              case 'delete':
                assert.equal(await store.delete(o.key), live(o.key) !== undefined, `delete ${o.key}`)
                model.delete(o.key)
                break
              case 'get':
                assert.deepEqual(await store.get(o.key), live(o.key)?.value, `get ${o.key}`)
                break
              case 'purge': {
                const carrying = [...model].filter(([k, e]) => e.tags.includes(o.tag) && live(k) !== undefined).map(([k]) => k)
                assert.equal(await store.purgeTag(o.tag), carrying.length, `purge ${o.tag}`)
                for (const [k, e] of [...model]) if (e.tags.includes(o.tag)) model.delete(k)
                break
              }
              case 'tick':
                now += o.ms
                break
              case 'reopen':
                await store.close()
                store = await openStore(options)
                break
              case 'compact':
                await store.compact()
                break
            }
          }
          const keys: string[] = []
          for await (const k of store.keys()) keys.push(k)
          assert.deepEqual(keys.sort(), [...model.keys()].filter((k) => live(k) !== undefined).sort())
        } finally {
          await store.close()
        }
      }), { numRuns: 40 })
    })
  })
}
