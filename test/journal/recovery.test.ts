import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { CorruptionReport, RecoveryMode } from '../../src/journal/corruption.js'
import { HDR_TAIL, journalFileName } from '../../src/journal/format.js'
import { JournalDir, type RecordLocation } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { isValueFor, text, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

function writeSample(dir: string, count: number): RecordLocation[] {
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'pread' })
  const locations = Array.from({ length: count }, (_, i) => jd.append(`key-${i}`, valueFor(`key-${i}`, i, 60 + i)))
  jd.close()
  return locations
}

function recoverKeys(dir: string, backend: (typeof BACKENDS)[number], recovery: RecoveryMode = 'point-in-time'):
  { keys: string[]; reports: CorruptionReport[] } {
  const reports: CorruptionReport[] = []
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, recovery, onCorruption: (r) => reports.push(r) })
  const keys: string[] = []
  jd.replay((e) => {
    const key = text(e.key)
    const got = jd.read(e)
    assert.ok(got && isValueFor(key, Number(key.slice(4)), got.value), `${key} replays with its value`)
    keys.push(key)
  })
  jd.close()
  return { keys, reports }
}

function patch(dir: string, offset: number, bytes: Uint8Array): void {
  const fd = fs.openSync(path.join(dir, journalFileName(1)), 'r+')
  fs.writeSync(fd, bytes, 0, bytes.byteLength, offset)
  fs.closeSync(fd)
}

const keysUpTo = (n: number) => Array.from({ length: n }, (_, i) => `key-${i}`)

for (const backend of BACKENDS) {
  describe(`recovery (${backend} backend)`, () => {
    it('truncation at every offset of the last record recovers the prefix', () => {
      const dir = tempDir('truncate')
      const locations = writeSample(dir, 8)
      const file = path.join(dir, journalFileName(1))
      const pristine = fs.readFileSync(file)
      const last = locations[locations.length - 1]
      for (let cut = last.offset; cut <= last.offset + last.length; cut++) {
        fs.writeFileSync(file, pristine.subarray(0, cut))
        const { keys, reports } = recoverKeys(dir, backend)
        const whole = cut === last.offset + last.length
        assert.deepEqual(keys, keysUpTo(whole ? 8 : 7), `cut at ${cut}`)
        assert.ok(reports.some((r) => r.reason === 'truncated-file'), `cut at ${cut} is reported`)
        for (const name of fs.readdirSync(dir)) if (!name.endsWith('.journal')) fs.rmSync(path.join(dir, name))
      }
    })

    it('a torn tail is reported and the records before it survive', () => {
      const dir = tempDir('torn')
      const locations = writeSample(dir, 6)
      const last = locations[5]
      patch(dir, last.offset + 20, Buffer.alloc(last.length - 20, 0xab))
      const { keys, reports } = recoverKeys(dir, backend)
      assert.deepEqual(keys, keysUpTo(5))
      assert.deepEqual(reports.map((r) => [r.reason, r.offset]), [['torn-tail', last.offset]])
    })

    it('a hole from a writer that claimed space and died is skipped in every mode', () => {
      for (const recovery of ['point-in-time', 'tolerate-tail', 'salvage'] as const) {
        const dir = tempDir('hole')
        writeSample(dir, 3)
        // A dead writer: claim 96 bytes by moving the tail, publish nothing.
        const file = path.join(dir, journalFileName(1))
        const bytes = fs.readFileSync(file)
        const holeAt = Number(bytes.readBigUInt64LE(HDR_TAIL))
        bytes.writeBigUInt64LE(BigInt(holeAt + 96), HDR_TAIL)
        fs.writeFileSync(file, bytes)
        const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
        jd.append('key-3', valueFor('key-3', 3, 63))
        jd.close()
        const { keys, reports } = recoverKeys(dir, backend, recovery)
        assert.deepEqual(keys, keysUpTo(4), recovery)
        assert.deepEqual(reports.map((r) => [r.reason, r.offset, r.length]), [['hole', holeAt, 96]], recovery)
      }
    })

    it('mid-journal corruption: point-in-time keeps the prefix, salvage skips, tolerate-tail refuses', () => {
      const dir = tempDir('modes')
      const locations = writeSample(dir, 6)
      patch(dir, locations[2].offset + 40, Buffer.from([0xff, 0xee]))

      const pit = recoverKeys(dir, backend, 'point-in-time')
      assert.deepEqual(pit.keys, keysUpTo(2))
      assert.deepEqual(pit.reports.map((r) => r.reason), ['corrupt-record', 'dropped-after-corruption'])
      assert.equal(pit.reports[1].offset, locations[3].offset)

      const salvage = recoverKeys(dir, backend, 'salvage')
      assert.deepEqual(salvage.keys, ['key-0', 'key-1', 'key-3', 'key-4', 'key-5'])
      assert.deepEqual(salvage.reports.map((r) => [r.reason, r.offset]), [['corrupt-record', locations[2].offset]])

      const strict = recoverKeys(dir, backend, 'tolerate-tail')
      assert.deepEqual(strict.keys, [])
      assert.deepEqual(strict.reports.map((r) => r.reason), ['corrupt-record', 'journal-rejected'])
    })

    it('records past a tail word that lags them are still found, and the lag is reported', () => {
      const dir = tempDir('lag')
      const locations = writeSample(dir, 5)
      const stale = Buffer.alloc(8)
      stale.writeBigUInt64LE(BigInt(locations[2].offset))
      patch(dir, HDR_TAIL, stale)
      const { keys, reports } = recoverKeys(dir, backend)
      assert.deepEqual(keys, keysUpTo(5))
      assert.deepEqual(reports.map((r) => r.reason), ['bad-header'])

      // Appending must not claim from the stale tail and overwrite key-3 and key-4.
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      assert.equal(jd.append('key-5', valueFor('key-5', 5, 65)).journalId, 2)
      jd.close()
      assert.deepEqual(recoverKeys(dir, backend).keys, keysUpTo(6))
    })

    it('a damaged hint file is reported, ignored and rebuilt from the journal', async () => {
      const dir = tempDir('hint')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      for (let i = 0; i < 1200; i++) jd.append(`key-${i}`, valueFor(`key-${i}`, i, 60 + i % 50))
      await jd.backgroundSettled()
      jd.close()
      const hint = path.join(dir, '00000001.hint')
      const good = fs.readFileSync(hint)
      const bad = Buffer.from(good)
      bad[bad.length >> 1] ^= 0x10
      fs.writeFileSync(hint, bad)
      const first = recoverKeys(dir, backend)
      assert.equal(first.keys.length, 1200)
      assert.deepEqual(first.reports.map((r) => [r.reason, path.basename(r.file)]), [['bad-sidecar', '00000001.hint']])
      assert.deepEqual(fs.readFileSync(hint), good, 'the hint was rebuilt byte for byte')
    })
  })
}
