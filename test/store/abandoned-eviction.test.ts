/**
 * A disk-budget eviction that gives up its journal (a move whose claim did
 * not settle, src/store/journal-drain.ts) must leave the journal's hot
 * entries as hot as it found them. The eviction takes each entry's read mark
 * as it decides; before the fix, the mark of the entry whose move was given
 * up was gone, and the next turn evicted that entry though another process
 * had read it.
 */
import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { mapping } from '../../src/native.js'
import { enforceDiskBudget } from '../../src/store/disk-budget.js'
import { DiskTier, EncodedKey } from '../../src/store/disk-tier.js'
import { ReadMarks } from '../../src/store/read-marks.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

it('an eviction given up keeps the read mark of the entry it could not move, and does not evict it', async () => {
  const dir = tempDir('abandoned-eviction')
  const journals = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'mmap' })
  const marks = ReadMarks.open(mapping, dir)
  after(() => {
    journals.close()
    marks.close()
  })
  const disk = new DiskTier(journals)
  disk.readMarks = marks
  const key = new EncodedKey()
  const write = (name: string, bytes: number) => {
    key.encode(name)
    disk.write(key, disk.find(key, 0, false), 0, new Uint8Array(bytes).fill(7), 0, bytes)
  }
  write('hot', 100)
  for (let i = 0; journals.journalIds().length < 2; i++) write(`filler-${i}`, 1000)
  const slot = disk.find(key.encode('hot'), 0)
  const victim = disk.keydir.journalId(slot)
  const offset = disk.keydir.offset(slot)
  assert.notEqual(victim, journals.activeJournalId(), 'the hot entry is in the sealed journal')
  // Another process read it from disk.
  marks.mark(victim, offset)
  // Every maintenance claim fails to settle, as when another writer stalls: each drain gives up.
  disk.settle = () => false

  const reports = await enforceDiskBudget(disk, JOURNAL_BYTES, () => Infinity, () => false, () => {}, marks)

  assert.deepEqual(reports, [], 'no eviction completed')
  assert.notEqual(journals.journal(victim), undefined, 'the journal is left whole')
  assert.ok(disk.find(key.encode('hot'), 0) >= 0, 'the hot entry is still there after every round of the turn')
  assert.equal(marks.take(victim, offset), true, 'and still marked as read, for the next turn')
})
