import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { alignRecord, HDR_TAIL, hintFileName, bloomFileName, journalFileName } from '../../src/journal/format.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { byteView, markPending, publishRecord, recordLength, writeRecord } from '../../src/journal/record.js'
import { availableBackends, mappingFor } from '../../src/native.js'
import { BACKENDS } from '../helpers/backends.js'
import { valueFor } from '../helpers/records.js'
import { replayKeys } from '../helpers/replay-keys.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

for (const backend of BACKENDS) {
  describe(`hint files and recovery modes (${backend} backend)`, () => {
    it('a hint written under one recovery mode does not decide an open under another (issue 8 #6)', async () => {
      const dir = tempDir('hint-modes')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      const offsets: number[] = []
      for (let i = 0; jd.activeJournalId() !== 2; i++) offsets.push(jd.append(`key-${i}`, valueFor(`key-${i}`, i, 200)).offset)
      const inFirst = offsets.length - 1
      await jd.backgroundSettled()
      jd.close()
      for (const name of [hintFileName(1), bloomFileName(1)]) fs.rmSync(path.join(dir, name), { force: true })
      // Damage a record in the middle of the sealed journal 1.
      const fd = fs.openSync(path.join(dir, journalFileName(1)), 'r+')
      fs.writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, offsets[10] + 40)
      fs.closeSync(fd)

      const pit = replayKeys(dir, JOURNAL_BYTES, backend, 'point-in-time')
      assert.equal(pit.keys.filter((k) => Number(k.slice(4)) < inFirst).length, 10)
      const salvage = replayKeys(dir, JOURNAL_BYTES, backend, 'salvage')
      assert.equal(salvage.keys.filter((k) => Number(k.slice(4)) < inFirst).length, inFirst - 1, 'salvage keeps every record but the damaged one')
      assert.ok(salvage.reports.some((r) => r.reason === 'corrupt-record'), 'and reports the damage')
      const strict = replayKeys(dir, JOURNAL_BYTES, backend, 'tolerate-tail')
      assert.equal(strict.keys.filter((k) => Number(k.slice(4)) < inFirst).length, 0, 'tolerate-tail refuses journal 1')
      assert.ok(strict.reports.some((r) => r.reason === 'journal-rejected'))
    })
  })
}

const mmap = availableBackends().includes('mmap')

describe('a writer stalled between claim and publish', { skip: !mmap && 'only the mmap backend shares a journal between writers' }, () => {
  it('is waited for: the hint is written once its record is published, and lists it (issue 8 #7, issue 7 §4)', async () => {
    const dir = tempDir('stalled')
    const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES })
    for (let i = 0; (jd.journal(1)?.tail ?? 0) < JOURNAL_BYTES / 2; i++) jd.append(`key-${i}`, valueFor(`key-${i}`, i, 200))
    // A second writer on its own mapping of journal 1: it claims and marks a record, then stalls.
    const api = mappingFor('mmap')
    const fd = fs.openSync(path.join(dir, journalFileName(1)), 'r+')
    const buffer = api.map(fd, JOURNAL_BYTES, true)
    const view = byteView(buffer, 0, JOURNAL_BYTES, true)
    const value = valueFor('stalled', 0, 100)
    const length = recordLength(7, value.byteLength)
    const start = Number(Atomics.add(new BigInt64Array(buffer, HDR_TAIL, 1), 0, BigInt(alignRecord(length))))
    markPending(view, start, length)
    // The first writer fills and seals journal 1; its sidecars are built on the worker thread.
    while (jd.activeJournalId() !== 2) jd.append('filler', valueFor('filler', 0, 200))
    const hint = path.join(dir, hintFileName(1))
    while (!fs.existsSync(hint) && !jd.sidecarsAwaitingClaims().includes(1)) await sleep(5)
    assert.equal(fs.existsSync(hint), false, 'no hint while the claim is unpublished')
    publishRecord(view, start, length, writeRecord(view, start, 'stalled', 7, value, 0, Date.now(), 0))
    while (!fs.existsSync(hint)) await sleep(5)
    api.unmap(buffer)
    fs.closeSync(fd)
    jd.close()
    const { keys, reports } = replayKeys(dir, JOURNAL_BYTES, 'mmap', 'point-in-time')
    assert.ok(keys.includes('stalled'), 'the stalled writer\'s record is replayed from the hint')
    assert.deepEqual(reports, [])
  })
})
