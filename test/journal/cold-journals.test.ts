import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { hashKey } from '../../src/key-hash.js'
import { BACKENDS } from '../helpers/backends.js'
import { isValueFor, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

for (const backend of BACKENDS) {
  describe(`sealed journals (${backend} backend)`, () => {
    it('beyond maxMappedBytes the least recently read go cold and are read with pread', () => {
      const dir = tempDir('cold')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, maxMappedBytes: 2 * JOURNAL_BYTES, backend })
      const at = Array.from({ length: 3000 }, (_, i) => jd.append(`key-${i}`, valueFor(`key-${i}`, i, 100)))
      const sealed = jd.journalIds().slice(0, -1)
      assert.ok(sealed.length >= 5)
      const mapped = sealed.filter((id) => jd.journal(id)!.mapped)
      assert.equal(mapped.length, 2, `two sealed journals stay mapped, got ${mapped}`)
      assert.ok(jd.journal(sealed[0])!.residentFraction() === 0, 'a cold journal has nothing resident')
      for (const [i, location] of at.entries()) assert.ok(isValueFor(`key-${i}`, i, jd.read(location)!.value), `key-${i}`)
      jd.close()
    })

    it('a cold journal read often is mapped again, within the budget', () => {
      const dir = tempDir('rewarm')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, maxMappedBytes: JOURNAL_BYTES, backend })
      const first = jd.append('first', valueFor('first', 0, 100))
      while (jd.journalIds().length < 4) jd.append('filler', Buffer.alloc(500))
      const journal = jd.journal(first.journalId)!
      assert.equal(journal.mapped, false)
      for (let i = 0; i < 40; i++) assert.ok(isValueFor('first', 0, jd.read(first)!.value))
      assert.equal(journal.mapped, backend === 'mmap', 'mapped again after repeated reads (mmap only)')
      const mapped = jd.journalIds().slice(0, -1).filter((id) => jd.journal(id)!.mapped)
      assert.ok(mapped.length <= 1, `at most one sealed journal mapped, got ${mapped}`)
      jd.close()
    })

    it('each sealed journal has a bloom filter that holds every key it stores', () => {
      const dir = tempDir('bloom')
      let jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      const keysOf = new Map<number, string[]>()
      for (let i = 0; i < 3000; i++) {
        const key = `key-${i}`
        const { journalId } = jd.append(key, valueFor(key, i, 100))
        keysOf.set(journalId, [...(keysOf.get(journalId) ?? []), key])
      }
      jd.close()
      jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      jd.replay(() => {})
      const sealed = jd.journalIds().slice(0, -1)
      let falsePositives = 0
      for (const id of sealed) {
        const bloom = jd.bloom(id)!
        for (const key of keysOf.get(id)!) assert.ok(bloom.mayContain(hashKey(Buffer.from(key), 0, key.length)), `${key} in journal ${id}`)
        for (let i = 0; i < 1000; i++) if (bloom.mayContain(hashKey(Buffer.from(`absent-${i}`), 0, `absent-${i}`.length))) falsePositives++
      }
      const rate = falsePositives / (sealed.length * 1000)
      assert.ok(rate < 0.03, `false-positive rate ${rate}`)
      jd.close()
    })
  })
}
