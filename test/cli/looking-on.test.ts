/**
 * The store the `spillway` commands open on a directory others use
 * (middleware/cli/store-directory.ts, LOOKING_ON; `spillway dashboard DIR`
 * with no heap tier): it joins with their journal size, its stats() follow
 * their writes, and it never runs maintenance, so it neither evicts by a
 * budget of its own nor takes the maintenance lease from the writers at the
 * moment their turn comes.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import { describe, it } from 'node:test'
import { inspectStoreDirectory, openStore } from '../../src/index.js'
import { LOOKING_ON } from '../../middleware/cli/store-directory.js'
import { tempDir } from '../helpers/temp-dir.js'

/** As `spillway dashboard DIR` opens it. */
const openToLookOn = (dir: string) => openStore({ dir, journalBytes: inspectStoreDirectory(dir)!.journalBytes, maxHeapBytes: 0, ...LOOKING_ON })

const JOURNAL = 64 * 1024

const journalFiles = (dir: string) => fs.readdirSync(dir).filter((f) => /^\d+\.journal$/.test(f) || f.endsWith('.journal')).sort()

describe('a watching store', () => {
  it('joins with the writers\' journal size and follows their writes in stats()', async () => {
    const dir = tempDir('watch')
    const writer = await openStore({ dir, journalBytes: JOURNAL })
    const watcher = await openToLookOn(dir)
    for (let i = 0; i < 100; i++) await writer.set(`k${i}`, Buffer.alloc(1500, i))
    const seen = watcher.stats()
    assert.equal(seen.disk.entries, writer.stats().disk.entries)
    assert.equal(seen.journals.total, writer.stats().journals.total)
    assert.ok(seen.journals.total > 1)
    await watcher.close()
    await writer.close()
  })

  it('runs no maintenance: with a budget of its own smaller than the directory, it evicts nothing', async () => {
    const dir = tempDir('watch-budget')
    const writer = await openStore({ dir, journalBytes: JOURNAL, maxDiskBytes: 100 * JOURNAL })
    // LOOKING_ON, but a finite budget: were it to maintain, this budget would evict.
    const watcher = await openStore({ dir, journalBytes: JOURNAL, maxHeapBytes: 0, ...LOOKING_ON, maxDiskBytes: 3 * JOURNAL })
    for (let i = 0; i < 300; i++) await writer.set(`k${i}`, Buffer.alloc(1500, i))
    // The writer's own turns are over, so none of them holds the lease when the watcher's would run.
    await writer.compact()
    const before = journalFiles(dir)
    assert.ok(before.length > 3, `${before.length} journals, more than the watcher's budget`)
    assert.equal(watcher.stats().journals.total, before.length, 'the watcher followed into every journal (which schedules maintenance where it runs)')
    // compact() runs after the maintenance the following queued, if any.
    await watcher.compact()
    assert.equal(watcher.stats().eviction.journals, 0)
    assert.deepEqual(journalFiles(dir), before)
    assert.equal(writer.stats().disk.entries, 300)
    await watcher.close()
    await writer.close()
  })
})
