import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { CorruptionReport, RecoveryMode } from '../../src/journal/corruption.js'
import { journalFileName } from '../../src/journal/format.js'
import { JournalDir, type RecordLocation } from '../../src/journal/journal-dir.js'
import { availableBackends } from '../../src/native.js'
import { BACKENDS } from '../helpers/backends.js'
import { valueFor } from '../helpers/records.js'
import { replayKeys } from '../helpers/replay-keys.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
const MODES: RecoveryMode[] = ['point-in-time', 'tolerate-tail', 'salvage']

function writeSample(dir: string, count: number): RecordLocation[] {
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'pread' })
  const locations = Array.from({ length: count }, (_, i) => jd.append(`key-${i}`, valueFor(`key-${i}`, i, 60 + i)))
  jd.close()
  return locations
}

function patchWord(dir: string, offset: number, word: number): void {
  const bytes = Buffer.alloc(4)
  bytes.writeUInt32LE(word)
  const fd = fs.openSync(path.join(dir, journalFileName(1)), 'r+')
  fs.writeSync(fd, bytes, 0, 4, offset)
  fs.closeSync(fd)
}

for (const backend of BACKENDS) {
  describe(`odd words and files (${backend} backend)`, () => {
    it('commit words near 0xFFFFFFFF are data to check, never an index (issue 8 #5)', () => {
      for (let word = 0xfffffff9; word <= 0xffffffff; word++) {
        for (const recovery of MODES) {
          const dir = tempDir('words')
          const locations = writeSample(dir, 6)
          patchWord(dir, locations[2].offset, word)
          const { keys, reports } = replayKeys(dir, JOURNAL_BYTES, backend, recovery)
          const label = `0x${word.toString(16)} under ${recovery}`
          assert.ok(reports.some((r) => r.reason === 'corrupt-record'), `${label} is reported`)
          if (recovery === 'salvage') assert.deepEqual(keys, ['key-0', 'key-1', 'key-3', 'key-4', 'key-5'], label)
          if (recovery === 'point-in-time') assert.deepEqual(keys, ['key-0', 'key-1'], label)
          if (recovery === 'tolerate-tail') assert.deepEqual(keys, [], label)
        }
      }
    })

    it('a record acknowledged after reopening a journal with an end marker in its middle survives the next open', () => {
      const dir = tempDir('mid-end')
      const locations = writeSample(dir, 6)
      patchWord(dir, locations[2].offset, 0xffffffff)
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, recovery: 'salvage' })
      jd.replay(() => {})
      jd.append('after', valueFor('after', 0, 10))
      jd.close()
      assert.ok(replayKeys(dir, JOURNAL_BYTES, backend, 'salvage').keys.includes('after'))
      assert.ok(replayKeys(dir, JOURNAL_BYTES, backend, 'point-in-time').keys.includes('after'))
    })

    it('a file that is not a journal under the next journal\'s name is reported and passed over (issue 8 #14)', () => {
      const dir = tempDir('foreign-next')
      const reports: CorruptionReport[] = []
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, onCorruption: (r) => reports.push(r) })
      jd.append('first', 'x')
      fs.writeFileSync(path.join(dir, journalFileName(2)), Buffer.alloc(8192, 0x78))
      let n = 0
      while (jd.activeJournalId() === 1) jd.append(`key-${n++}`, valueFor(`key-${n}`, n, 500))
      jd.append('later', 'y')
      assert.equal(jd.activeJournalId(), 3)
      assert.deepEqual(reports.map((r) => [r.reason, path.basename(r.file)]), [['bad-header', journalFileName(2)]])
      jd.close()
      const { keys } = replayKeys(dir, JOURNAL_BYTES, backend)
      assert.ok(keys.includes('first') && keys.includes('later') && keys.includes(`key-${n - 1}`))
      assert.equal(fs.readFileSync(path.join(dir, journalFileName(2)))[0], 0x78, 'the foreign file is left untouched')
    })
  })
}

describe('the pread backend keeps its directory to itself (issue 8 #11)', () => {
  it('a second JournalDir on the directory is refused with ERR_LOCKED, in the same thread and in another process', () => {
    const dir = tempDir('pread-lock')
    const first = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'pread' })
    first.append('k', 'v')
    for (const backend of BACKENDS) {
      assert.throws(() => JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend }), { code: 'ERR_LOCKED' }, backend)
    }
    if (availableBackends().includes('mmap')) {
      const module = new URL('../../src/journal/journal-dir.js', import.meta.url).href
      const child = spawnSync(process.execPath, ['--input-type=module', '-e',
        `import { JournalDir } from '${module}'
         try { JournalDir.open(${JSON.stringify(dir)}, { backend: 'pread' }); console.log('opened') } catch (err) { console.log(err.code) }`],
      { encoding: 'utf8' })
      assert.equal(child.stdout.trim(), 'ERR_LOCKED')
    }
    first.close()
    const again = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'pread' })
    assert.equal(again.append('k2', 'v').offset > 4096, true, 'and it appends after the first one\'s records')
    again.close()
    assert.deepEqual(replayKeys(dir, JOURNAL_BYTES, 'pread').keys, ['k', 'k2'])
  })

  it('two mmap JournalDirs in one thread share the directory', { skip: !availableBackends().includes('mmap') }, () => {
    const dir = tempDir('mmap-share')
    const a = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'mmap' })
    const b = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend: 'mmap' })
    const la = a.append('a', 'x')
    const lb = b.append('b', 'y')
    assert.notEqual(la.offset, lb.offset)
    a.close()
    b.close()
    assert.deepEqual(replayKeys(dir, JOURNAL_BYTES, 'mmap').keys, ['a', 'b'])
  })
})
