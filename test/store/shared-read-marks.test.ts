/**
 * Hot reinsertion under the disk budget counts the reads of every process
 * on the directory (issue 11, part 5; src/store/read-marks.ts): keys that
 * only another process reads survive the evictions of the process that
 * writes, and keys no one reads leave.
 */
import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { availableBackends } from '../../src/native.js'
import { isValueFor, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const READER = new URL('../helpers/store-reader.js', import.meta.url)
const JOURNAL_BYTES = 64 * 1024
const MAX_DISK_BYTES = 4 * JOURNAL_BYTES

describe('hot reinsertion across processes', { skip: !availableBackends().includes('mmap') && 'needs the native addon' }, () => {
  it('keeps the keys another process reads, and evicts the cold ones', async () => {
    const dir = tempDir('read-marks')
    const store = await openStore({ dir, backend: 'mmap', journalBytes: JOURNAL_BYTES, maxDiskBytes: MAX_DISK_BYTES, maxHeapBytes: 0, compression: false })
    const hot = Array.from({ length: 40 }, (_, i) => `hot-${i}`)
    for (const [i, key] of hot.entries()) await store.set(key, valueFor(key, i, 200))
    const reader = fork(READER, [dir, String(JOURNAL_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const exited = once(reader, 'exit')
    await once(reader, 'message')
    const readElsewhere = async () => {
      reader.send({ read: hot })
      const [answer] = await once(reader, 'message') as [{ found: number }]
      return answer.found
    }
    try {
      for (let i = 0; i < 4000; i++) {
        await store.set(`cold-${i}`, valueFor(`cold-${i}`, i, 200))
        // This process never reads the hot keys: only the reader's marks can keep them.
        if (i % 50 === 0) assert.equal(await readElsewhere(), hot.length, `every hot key readable in the other process at ${i}`)
      }
      const stats = store.stats()
      assert.ok(stats.eviction.journals >= 5, `${stats.eviction.journals} journals evicted`)
      assert.ok(stats.eviction.reinserted >= hot.length, `${stats.eviction.reinserted} reinserted`)
      for (const [i, key] of hot.entries()) assert.ok(isValueFor(key, i, (await store.get(key))!), `${key} survived eviction`)
      assert.equal(await store.get('cold-0'), undefined, 'the oldest cold key was evicted')
    } finally {
      reader.send({ close: true })
      await exited
      await store.close()
    }
  })

  it('a compaction that moves a record another process read moves its read mark too', async () => {
    const dir = tempDir('read-marks-moved')
    const store = await openStore({ dir, backend: 'mmap', journalBytes: JOURNAL_BYTES, maxDiskBytes: 1 << 30, maxHeapBytes: 0,
      compression: false, autoCompact: false })
    const hot = Array.from({ length: 20 }, (_, i) => `hot-${i}`)
    // The hot keys share their journal with keys overwritten below, so compaction moves them out of it.
    for (const [i, key] of hot.entries()) {
      await store.set(key, valueFor(key, i, 200))
      for (let j = 0; j < 10; j++) await store.set(`dead-${i}-${j}`, valueFor(`dead-${i}-${j}`, j, 200))
    }
    const reader = fork(READER, [dir, String(JOURNAL_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const exited = once(reader, 'exit')
    await once(reader, 'message')
    try {
      // The other process reads each hot key once, from its first location; no one reads them again.
      reader.send({ read: hot })
      const [answer] = await once(reader, 'message') as [{ found: number }]
      assert.equal(answer.found, hot.length)
      for (let i = 0; i < hot.length; i++) for (let j = 0; j < 10; j++) await store.delete(`dead-${i}-${j}`)
      for (let i = 0; i < 400; i++) await store.set(`filler-${i}`, valueFor(`filler-${i}`, i, 200))
      const compaction = await store.compact()
      assert.ok(compaction.moved >= hot.length, `${compaction.moved} records moved`)
      // Now the budget: the journals the hot keys moved to are evicted, with every other key in them.
      await store.close()
      const budgeted = await openStore({ dir, backend: 'mmap', journalBytes: JOURNAL_BYTES, maxDiskBytes: 3 * JOURNAL_BYTES,
        maxHeapBytes: 0, compression: false, autoCompact: false })
      try {
        // Until the hot keys' journal is evicted (each mark buys one reinsertion: a second eviction would need another read).
        for (let i = 0; i < 2000 && budgeted.stats().eviction.reinserted < hot.length; i++) await budgeted.set(`cold-${i}`, valueFor(`cold-${i}`, i, 200))
        const { reinserted } = budgeted.stats().eviction
        assert.ok(reinserted >= hot.length, `${reinserted} reinserted`)
        const values = await Promise.all(hot.map((key) => budgeted.get(key)))
        const lost = hot.filter((_, i) => values[i] === undefined)
        assert.deepEqual(lost, [], `lost through the move and the eviction (${reinserted} reinserted)`)
        for (const [i, key] of hot.entries()) assert.ok(isValueFor(key, i, values[i]!), key)
      } finally {
        await budgeted.close()
      }
    } finally {
      reader.send({ close: true })
      await exited
    }
  })
})
