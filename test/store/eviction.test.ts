import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { isValueFor, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
const MAX_DISK_BYTES = 4 * JOURNAL_BYTES

function journalBytesOnDisk(dir: string): number {
  return fs.readdirSync(dir).filter((n) => n.endsWith('.journal')).reduce((sum, n) => sum + fs.statSync(path.join(dir, n)).size, 0)
}

for (const backend of BACKENDS) {
  describe(`disk budget (${backend} backend)`, () => {
    for (const [tier, maxHeapBytes] of [['disk', 0], ['heap', 1024 * 1024]] as const) {
      it(`keeps hot keys (read through the ${tier} tier) and evicts cold ones, within budget plus one journal`, async () => {
        const dir = tempDir('evict')
        const store = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, maxDiskBytes: MAX_DISK_BYTES, maxHeapBytes, compression: false })
        const hot = Array.from({ length: 40 }, (_, i) => `hot-${i}`)
        for (const [i, key] of hot.entries()) await store.set(key, valueFor(key, i, 200))
        let largest = 0
        for (let i = 0; i < 4000; i++) {
          await store.set(`cold-${i}`, valueFor(`cold-${i}`, i, 200))
          if (i % 50 === 0) for (const key of hot) assert.ok(await store.get(key), `${key} readable at ${i}`)
          largest = Math.max(largest, journalBytesOnDisk(dir))
        }
        assert.ok(largest <= MAX_DISK_BYTES + JOURNAL_BYTES, `disk use peaked at ${largest}, budget ${MAX_DISK_BYTES}`)
        const stats = store.stats()
        assert.ok(stats.eviction.journals >= 5, `${stats.eviction.journals} journals evicted`)
        assert.ok(stats.eviction.reinserted >= hot.length, `${stats.eviction.reinserted} reinserted`)
        await store.close()

        // Reopened with an empty heap tier: the hot keys are on disk, the early cold ones are gone.
        const reopened = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, maxDiskBytes: MAX_DISK_BYTES, maxHeapBytes: 0 })
        for (const [i, key] of hot.entries()) assert.ok(isValueFor(key, i, (await reopened.get(key))!), `${key} survived eviction`)
        assert.equal(await reopened.get('cold-0'), undefined, 'the oldest cold key was evicted')
        assert.ok(isValueFor('cold-3999', 3999, (await reopened.get('cold-3999'))!), 'the newest cold key is still there')
        await reopened.close()
      })
    }
  })
}
