import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { availableBackends } from '../../src/native.js'
import { startLockstepWriter } from '../helpers/lockstep-writer.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Each process's heap tier under another process's writes (issue 11): never
 * a superseded or deleted value, and a key hot everywhere stays in every
 * heap tier. A write elsewhere used to drop this process's copy, so under a
 * 90/10 read/write mix shared by processes every hot key cost each of them
 * two disk reads (the tier takes a key on its second disk read) after each
 * write elsewhere.
 */
describe("the heap tier under another process's writes (issue 11)", { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it("a write elsewhere replaces this process's heap-tier copy, so the next read is a heap hit with the new value; a delete drops it", async () => {
    const dir = tempDir('shared-heap')
    const writer = await startLockstepWriter(dir)
    try {
      writer.ask('set hot v1')
      writer.ask('set cold c1')
      const reader = await openStore({ dir })
      try {
        // A key enters the heap tier on its second disk read.
        for (let i = 0; i < 3; i++) assert.equal(reader.getSync('hot')?.toString(), 'v1')
        assert.equal(reader.getSync('cold')?.toString(), 'c1')
        const before = reader.stats()
        assert.equal(before.heap.entries, 1, 'only the key read twice is in the heap tier')

        writer.ask('set hot v2')
        writer.ask('set cold c2')
        assert.equal(reader.getSync('hot')?.toString(), 'v2')
        const after = reader.stats()
        assert.equal(after.heap.hits, before.heap.hits + 1, 'the new value was served from the heap tier')
        assert.equal(after.disk.hits, before.disk.hits, 'without a disk read')
        assert.equal(reader.getSync('cold')?.toString(), 'c2', 'a key the heap tier did not hold is read from disk')
        assert.equal(reader.stats().disk.hits, before.disk.hits + 1)
        assert.equal(reader.stats().heap.entries, 1, 'a write elsewhere does not bring a cold key into the heap tier')

        writer.ask('delete hot')
        assert.equal(reader.getSync('hot'), undefined, 'a deleted value is never served')
        assert.equal(reader.stats().heap.entries, 0)
      } finally {
        await reader.close()
      }
      writer.ask('close')
    } finally {
      await writer.stop()
    }
  })
})
