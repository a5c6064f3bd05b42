import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { JournalDir, type RecordLocation } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

for (const backend of BACKENDS) {
  describe(`scatteredViewAt (${backend} backend)`, () => {
    it('reads every record as viewAt does, sealed or active, smaller or larger than the scratch buffer', () => {
      const jd = JournalDir.open(tempDir('scattered'), { journalBytes: JOURNAL_BYTES, backend })
      const written: { at: RecordLocation; key: string; value: string }[] = []
      for (let i = 0; i < 200; i++) {
        const value = `value-${i}-`.repeat(i % 7 === 0 ? 600 : 10)
        written.push({ at: jd.append(`key-${i}`, value, { flags: 0 }), key: `key-${i}`, value })
      }
      const sealed = written.filter((w) => !jd.journal(w.at.journalId)!.writable)
      assert.ok(sealed.length > 0 && sealed.length < written.length, 'the records span sealed journals and the active one')
      const scratch = Buffer.alloc(1024)
      for (const { at, key, value } of written) {
        const record = jd.scatteredViewAt(at.journalId, at.offset, at.length, true, scratch)
        assert.ok(record !== undefined, `${key} is read`)
        assert.equal(Buffer.from(record.key).toString(), key)
        assert.equal(Buffer.from(record.value).toString(), value)
      }
      jd.close()
    })

    it('reports a location that holds no record, and returns nothing for it', () => {
      const reports: CorruptionReport[] = []
      const jd = JournalDir.open(tempDir('scattered-bad'), { journalBytes: JOURNAL_BYTES, backend, onCorruption: (r) => reports.push(r) })
      let first: RecordLocation | undefined
      for (let i = 0; i < 100; i++) {
        const at = jd.append(`key-${i}`, 'x'.repeat(1000), { flags: 0 })
        first ??= at
      }
      assert.ok(!jd.journal(first!.journalId)!.writable, 'the first journal is sealed')
      const scratch = Buffer.alloc(4096)
      assert.equal(jd.scatteredViewAt(first!.journalId, first!.offset + 8, first!.length, false, scratch), undefined)
      assert.equal(jd.scatteredViewAt(first!.journalId, first!.offset, first!.length + 8, false, scratch), undefined)
      assert.equal(reports.length, 2)
      assert.ok(reports.every((r) => r.reason === 'corrupt-record'))
      jd.close()
    })
  })
}
