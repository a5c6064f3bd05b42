import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { alignRecord, HEADER_BYTES } from '../../src/journal/format.js'
import { JournalDir, type RecordLocation } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url))

/** Every record of `dir` after a fresh open, as key → value text, with what recovery reported. */
function reopened(dir: string, backend: (typeof BACKENDS)[number]): { values: Map<string, string>; reports: CorruptionReport[] } {
  const reports: CorruptionReport[] = []
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, onCorruption: (r) => reports.push(r) })
  const values = new Map<string, string>()
  jd.replay((e) => {
    const record = jd.read({ journalId: e.journalId, offset: e.offset, length: e.length })
    if (record !== undefined) values.set(Buffer.from(record.key).toString(), Buffer.from(record.value).toString())
  })
  jd.close()
  return { values, reports }
}

for (const backend of BACKENDS) {
  describe(`values handed out by read() (${backend} backend)`, () => {
    it('a value given to an asynchronous fs.write reaches the file as it was read, though its journal is unmapped first', () => {
      const dir = tempDir('async-write')
      const out = path.join(dir, 'out')
      const child = spawnSync(process.execPath, ['--expose-gc', here('./fixtures/async-write-child.js'), dir, backend, out], {
        encoding: 'utf8', env: { ...process.env, UV_THREADPOOL_SIZE: '1' },
      })
      assert.equal(child.signal, null, `the child died of ${child.signal}: ${child.stderr}`)
      assert.equal(child.status, 0, child.stderr)
      const written = fs.readFileSync(out)
      assert.equal(written.length, 4000)
      assert.equal(written.toString('latin1'), 'A'.repeat(4000))
    })

    it('writing into a value read from a sealed journal neither kills the process nor changes the record', () => {
      const dir = tempDir('write-sealed')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      const at = jd.append('sealed', Buffer.alloc(100, 'v'))
      while (jd.journalIds().length < 2) jd.append('filler', Buffer.alloc(1000))
      jd.close()
      const module = pathToFileURL(here('../../src/journal/journal-dir.js')).href
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', `
        const { JournalDir } = await import(${JSON.stringify(module)})
        const jd = JournalDir.open(${JSON.stringify(dir)}, { journalBytes: ${JOURNAL_BYTES}, backend: '${backend}' })
        const record = jd.read(${JSON.stringify(at)})
        record.value.fill(120)
        record.key.fill(120)
        jd.close()
        console.log('wrote')
      `], { encoding: 'utf8' })
      assert.equal(child.signal, null, `the child died of ${child.signal}`)
      assert.equal(child.stdout.trim(), 'wrote', child.stderr)
      const { values, reports } = reopened(dir, backend)
      assert.deepEqual(reports, [])
      assert.equal(values.get('sealed'), 'v'.repeat(100))
    })

    it('writing into a value read from the active journal leaves the record on disk as it was', () => {
      const dir = tempDir('write-active')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      const at = jd.append('active', Buffer.alloc(100, 'v'))
      const record = jd.read(at)!
      record.value.fill(120)
      assert.equal(Buffer.from(jd.read(at)!.value).toString(), 'v'.repeat(100))
      jd.sync()
      jd.close()
      const { values, reports } = reopened(dir, backend)
      assert.deepEqual(reports, [])
      assert.equal(values.get('active'), 'v'.repeat(100))
    })

    it('read() with length 0, or at an offset that is not a record start, returns nothing and never throws', () => {
      const dir = tempDir('bad-location')
      const reports: CorruptionReport[] = []
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, onCorruption: (r) => reports.push(r) })
      const at = jd.append('k', Buffer.alloc(200, 1))
      jd.append('k2', Buffer.alloc(200, 2))
      const bad: RecordLocation[] = [
        { ...at, length: 0 },
        { ...at, offset: at.offset + 8 },
        { ...at, offset: at.offset + 3 },
        { ...at, offset: at.offset + 8, length: 0 },
        { ...at, offset: HEADER_BYTES + 0.5 },
        { ...at, length: 16 },
        { ...at, length: -1 },
        { ...at, offset: -8 },
      ]
      for (const location of bad) assert.equal(jd.read(location), undefined, JSON.stringify(location))
      assert.equal(reports.length, bad.length, 'each is reported')
      assert.equal(Buffer.from(jd.read(at)!.value).toString('hex'), Buffer.alloc(200, 1).toString('hex'))
      jd.close()
    })
  })

  describe(`appending a record read back from the active journal (${backend} backend)`, () => {
    for (const how of ['read', 'viewAt'] as const) {
      it(`with ${how}: an append that seals the journal copies the record whole into the next`, () => {
        const dir = tempDir('reappend')
        const reports: CorruptionReport[] = []
        const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, onCorruption: (r) => reports.push(r) })
        const first = jd.append('moved', Buffer.alloc(3000, 'm'))
        const size = alignRecord(first.length)
        for (let i = 0; jd.journal(1)!.tail + size <= JOURNAL_BYTES; i++) jd.append(`f${i}`, Buffer.alloc(100))
        const record = how === 'read' ? jd.read(first)! : jd.viewAt(first.journalId, first.offset, first.length)!
        const moved = jd.append(record.key, record.value, { writeTime: record.writeTime })
        assert.equal(moved.journalId, 2, 'the append went to the next journal')
        assert.equal(Buffer.from(jd.read(moved)!.value).toString(), 'm'.repeat(3000))
        jd.sync()
        jd.close()
        const again = reopened(dir, backend)
        assert.deepEqual([...reports, ...again.reports], [])
        assert.equal(again.values.get('moved'), 'm'.repeat(3000))
      })
    }
  })
}
