import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { HDR_TAIL, HEADER_BYTES, journalFileName } from '../../src/journal/format.js'
import { availableBackends } from '../../src/native.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Issue 11, "Crash and bad input", between stores sharing a directory (two
 * opens in one process follow each other exactly as two processes do: each
 * has its own locks, keydir and follower).
 */
const KiB = 1024
const JOURNAL_BYTES = 64 * KiB

/** Names, sizes and contents of every file in `dir`. */
function snapshot(dir: string): string[] {
  return fs.readdirSync(dir).sort().map((name) => `${name} ${createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex')}`)
}

describe('bad input between stores sharing a directory (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('a damaged record another store wrote is reported where it is met, skipped, and never served; later records still arrive', async () => {
    const dir = tempDir('cluster-damage')
    const reports: CorruptionReport[] = []
    const reader = await openStore({ dir, journalBytes: JOURNAL_BYTES, onCorruption: (r) => reports.push(r) })
    const writer = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    await writer.set('damaged', 'v'.repeat(64))
    // Flip a byte of its value in the file (the mapping shares the page cache) before the reader catches up.
    const file = path.join(dir, journalFileName(1))
    const bytes = fs.readFileSync(file)
    const at = bytes.indexOf('v'.repeat(64))
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, Buffer.from('w'), 0, 1, at + 10)
    fs.closeSync(fd)
    await writer.set('after', 'fine')
    assert.equal(await reader.get('damaged'), undefined, 'never served')
    assert.equal((await reader.get('after'))?.toString(), 'fine', 'the records after it still arrive')
    assert.deepEqual(reports.map((r) => r.reason), ['corrupt-record'])
    assert.equal(reports[0].file, file)
    await writer.close()
    await reader.close()
  })

  it('an open with another journalBytes gets ERR_OPTIONS_CONFLICT and changes nothing on disk', async () => {
    const dir = tempDir('cluster-conflict')
    const first = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    await first.set('k', 'v')
    const before = snapshot(dir)
    await assert.rejects(openStore({ dir, journalBytes: 2 * JOURNAL_BYTES }),
      { code: 'ERR_OPTIONS_CONFLICT', message: new RegExp(`${dir} is open in another process with journalBytes 65536; this open asks for 131072`) })
    assert.deepEqual(snapshot(dir), before)
    assert.equal((await first.get('k'))?.toString(), 'v')
    await first.close()
  })

  it('a pread open beside an mmap store gets ERR_LOCKED saying the pread backend cannot share, and changes nothing', async () => {
    const dir = tempDir('cluster-pread')
    const first = await openStore({ dir, journalBytes: JOURNAL_BYTES, backend: 'mmap' })
    await first.set('k', 'v')
    const before = snapshot(dir)
    await assert.rejects(openStore({ dir, journalBytes: JOURNAL_BYTES, backend: 'pread' }),
      { code: 'ERR_LOCKED', message: /the pread backend cannot share a directory: use the mmap backend/ })
    assert.deepEqual(snapshot(dir), before)
    await first.close()
    const alone = await openStore({ dir, journalBytes: JOURNAL_BYTES, backend: 'pread' })
    await assert.rejects(openStore({ dir, journalBytes: JOURNAL_BYTES, backend: 'mmap' }),
      { code: 'ERR_LOCKED', message: /open with the pread backend, which cannot share it/ })
    await alone.close()
  })
  it('a store whose newest journal has bytes past its tail word appends to the next journal, and follows what other stores write there', async () => {
    // Found by test/store/corruption.test.ts (SPILLWAY_SEED=684182083): such a journal is never appended to again
    // (FORMAT.md §Recovery), so its tail word stays below its capacity. The follower went by the tail word alone,
    // took the journal for the active one, and never moved on: every settled claim then waited its 1 s limit
    // (an open that forgot keys after damage took one second per key) and other stores' writes never arrived.
    const dir = tempDir('cluster-lagging-tail')
    const first = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    for (let i = 0; i < 20; i++) await first.set(`old${i}`, `value ${i}`)
    await first.close()
    const file = path.join(dir, journalFileName(1))
    const fd = fs.openSync(file, 'r+')
    const tail = Buffer.alloc(8)
    tail.writeBigUInt64LE(BigInt(HEADER_BYTES))
    fs.writeSync(fd, tail, 0, 8, HDR_TAIL)
    fs.closeSync(fd)
    const reports: CorruptionReport[] = []
    const store = await openStore({ dir, journalBytes: JOURNAL_BYTES, onCorruption: (r) => reports.push(r) })
    const other = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    try {
      assert.ok(reports.some((r) => r.reason === 'bad-header' && r.file === file), JSON.stringify(reports))
      await store.set('mine', 'one')
      await other.set('theirs', 'two')
      assert.equal((await store.get('theirs'))?.toString(), 'two', "the other store's write arrived")
      assert.equal((await other.get('mine'))?.toString(), 'one')
      await other.delete('old3')
      assert.equal(await store.get('old3'), undefined, "the other store's delete arrived")
      for (let i = 0; i < 20; i++) if (i !== 3) assert.equal((await store.get(`old${i}`))?.toString(), `value ${i}`)
      assert.ok(!fs.readdirSync(dir).includes(journalFileName(3)), 'both stores append to journal 2')
    } finally {
      await other.close()
      await store.close()
    }
  })
})
