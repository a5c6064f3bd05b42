import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
import { describe, it } from 'node:test'
import { HDR_STATE, MAX_JOURNAL_BYTES, STATE_SEALED } from '../../src/journal/format.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { availableBackends } from '../../src/native.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
/** Records a journal of JOURNAL_BYTES holds at most: its size less the header page. */
const ROOM = JOURNAL_BYTES - 4096

for (const backend of BACKENDS) {
  describe(`size limits (${backend} backend)`, () => {
    it('a value of about 2 GiB is refused with ERR_VALUE_TOO_LARGE and leaves the tail where it was', () => {
      const dir = tempDir('huge-value')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      jd.append('before', 'v')
      const tail = jd.journal(1)!.tail
      // The record length passes 2^31 by a byte: aligned in 32-bit arithmetic it came out negative.
      for (const size of [2 ** 31 - 32, 2 ** 31 - 40, 2 ** 31 + 8]) {
        assert.throws(() => jd.append('k', new Uint8Array(size)), { code: 'ERR_VALUE_TOO_LARGE' }, `value of ${size} bytes`)
        assert.equal(jd.journal(1)!.tail, tail, 'nothing was claimed')
      }
      const after = jd.append('after', 'v')
      assert.equal(Buffer.from(jd.read(after)!.value).toString(), 'v')
      jd.close()
    })

    it('a key that cannot fit with any value gets ERR_KEY_TOO_LARGE naming the real limit', () => {
      const jd = JournalDir.open(tempDir('key-limit'), { journalBytes: JOURNAL_BYTES, backend })
      assert.throws(() => jd.append('k'.repeat(65_535), new Uint8Array(0)), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_KEY_TOO_LARGE')
        assert.match(err.message, /65535/)
        assert.match(err.message, new RegExp(`${ROOM - 32}`), `names the largest key this journal takes: ${err.message}`)
        return true
      })
      jd.close()
    })

    it('a value too large for its key names the largest value that fits with it', () => {
      const jd = JournalDir.open(tempDir('value-limit'), { journalBytes: JOURNAL_BYTES, backend })
      assert.throws(() => jd.append('key', new Uint8Array(ROOM)), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'ERR_VALUE_TOO_LARGE')
        assert.match(err.message, new RegExp(`${ROOM}`))
        assert.match(err.message, new RegExp(`${ROOM - 32 - 3}`), `names the largest value that fits: ${err.message}`)
        return true
      })
      // ... and that value does fit.
      const at = jd.append('key', new Uint8Array(ROOM - 32 - 3))
      assert.equal(jd.read(at)!.value.byteLength, ROOM - 32 - 3)
      jd.close()
    })

    it('coldAfterMs beyond the longest timer Node keeps (about 24.8 days) does not sweep every millisecond', async () => {
      const dir = tempDir('cold-after-long')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, coldAfterMs: 30 * 24 * 3600 * 1000 })
      while (jd.journalIds().length < 2) jd.append('filler', Buffer.alloc(1000))
      assert.equal(jd.journal(1)!.mapped, true)
      // Node runs a 1 ms timer before a 20 ms one: a sweep clamped to 1 ms has run by the time this resolves.
      await delay(20)
      assert.equal(jd.journal(1)!.mapped, true, 'the unread sealed journal was not swept')
      jd.close()
    })
  })
}

describe('files changed by another program (mmap backend)', { skip: !availableBackends().includes('mmap') && 'no mmap backend' }, () => {
  it('a cold journal truncated meanwhile is never mapped again: its reads are served or reported', () => {
    const dir = tempDir('truncated-cold')
    const reports: string[] = []
    const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, maxMappedBytes: 1, backend: 'mmap', onCorruption: (r) => reports.push(r.reason) })
    const early = jd.append('early', Buffer.alloc(100, 'e'))
    let late = early
    for (let at = early; at.journalId === 1; at = jd.append('late', Buffer.alloc(1000, 'l'))) late = at
    while (jd.journalIds().length < 3) jd.append('filler', Buffer.alloc(1000))
    assert.equal(jd.journal(1)!.mapped, false)
    fs.truncateSync(path.join(dir, '00000001.journal'), JOURNAL_BYTES / 2)
    // Read often enough that a cold journal is normally mapped again.
    for (let i = 0; i < 64; i++) assert.equal(Buffer.from(jd.read(early)!.value).toString(), 'e'.repeat(100))
    assert.equal(jd.journal(1)!.mapped, false)
    assert.ok(late.journalId === 1 && late.offset > JOURNAL_BYTES / 2)
    assert.equal(jd.read(late), undefined)
    assert.deepEqual(reports, ['corrupt-record'])
    jd.close()
  })
})

describe('journals of the documented maximum size, 2 GiB', () => {
  const canMap = availableBackends().includes('mmap')

  it('a cold sealed 2 GiB journal replays (mmap backend)', { skip: !canMap && 'no mmap backend' }, () => {
    const dir = tempDir('2gib')
    let jd = JournalDir.open(dir, { journalBytes: MAX_JOURNAL_BYTES, backend: 'mmap' })
    jd.append('a', 'first')
    jd.append('b', 'second')
    jd.sync()
    jd.close()
    // Sealed as a full journal is (the header's state word), without writing 2 GiB to fill it.
    const fd = fs.openSync(path.join(dir, '00000001.journal'), 'r+')
    const state = Buffer.alloc(4)
    state.writeUInt32LE(STATE_SEALED)
    fs.writeSync(fd, state, 0, 4, HDR_STATE)
    fs.closeSync(fd)
    jd = JournalDir.open(dir, { journalBytes: MAX_JOURNAL_BYTES, backend: 'mmap', maxMappedBytes: 1 })
    assert.equal(jd.journal(1)!.mapped, false, 'cold')
    const keys: string[] = []
    jd.replay((e) => keys.push(Buffer.from(e.key).toString()))
    assert.deepEqual(keys, ['a', 'b'])
    jd.close()
  })

  it('the pread backend appends to a 2 GiB journal and reads it back after a reopen', { skip: !canMap && 'the fixture is made with mmap' }, () => {
    const dir = tempDir('2gib-pread')
    // Created by the mmap backend: posix_fallocate reserves the 2 GiB without writing them.
    JournalDir.open(dir, { journalBytes: MAX_JOURNAL_BYTES, backend: 'mmap' }).close()
    let jd = JournalDir.open(dir, { journalBytes: MAX_JOURNAL_BYTES, backend: 'pread' })
    const at = jd.append('k', 'v')
    jd.sync()
    jd.close()
    jd = JournalDir.open(dir, { journalBytes: MAX_JOURNAL_BYTES, backend: 'pread' })
    assert.equal(Buffer.from(jd.read(at)!.value).toString(), 'v')
    jd.close()
  })
})
