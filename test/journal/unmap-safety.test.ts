import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

for (const backend of BACKENDS) {
  describe(`viewAt views held across an unmap (${backend} backend)`, () => {
    it('a view into a journal that went cold reads as empty, and the journal still serves reads', () => {
      const dir = tempDir('unmap')
      const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend })
      const first = jd.append('first', Buffer.alloc(100, 7))
      while (jd.journalIds().length < 2) jd.append('filler', Buffer.alloc(1000))
      const held = jd.viewAt(first.journalId, first.offset, first.length)!.value
      assert.equal(held.byteLength, 100)
      jd.journal(first.journalId)!.makeCold()
      assert.equal(held.byteLength, 0, 'the view was detached with the mapping')
      assert.equal(held[0], undefined)
      // Anything that would need the memory throws a TypeError instead of touching it.
      assert.throws(() => [...held], TypeError)
      const again = jd.read(first)!
      assert.deepEqual(Buffer.from(again.value), Buffer.alloc(100, 7), 'read back through pread')
      jd.close()
    })

    it('views held after close read as empty and never fault', () => {
      const dir = tempDir('close')
      const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend })
      const at = jd.append('k', Buffer.alloc(4096, 1))
      const view = jd.viewAt(at.journalId, at.offset, at.length)!.value
      const key = jd.viewAt(at.journalId, at.offset, at.length)!.key
      jd.close()
      assert.equal(view.byteLength, 0)
      assert.equal(key.byteLength, 0)
      assert.equal(view[100], undefined)
      assert.throws(() => view.subarray(0, 10), TypeError)
      assert.equal(Buffer.from(view).length, 0)
      assert.throws(() => jd.append('k', 'v'), { code: 'ERR_JOURNAL_CLOSED' })
    })
  })
}
