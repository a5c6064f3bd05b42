/**
 * The read-mark table on its own (src/store/read-marks.ts): two records whose
 * locations share an entry pair both keep their marks. With one entry per
 * location, the second read overwrote the first record's mark, and the disk
 * budget evicted that record though another process read it: about one run
 * in seventy of test/store/shared-read-marks.test.ts lost a hot key.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { mapping } from '../../src/native.js'
import { readMarkPair, ReadMarks } from '../../src/store/read-marks.js'
import { tempDir } from '../helpers/temp-dir.js'

/** `count` record offsets (8-byte aligned) in journal `journalId` whose locations share one entry pair. */
function sharingAPair(journalId: number, count: number): number[] {
  const byPair = new Map<number, number[]>()
  for (let offset = 64; ; offset += 8) {
    const pair = readMarkPair(journalId, offset)
    const offsets = byPair.get(pair) ?? []
    offsets.push(offset)
    byPair.set(pair, offsets)
    if (offsets.length === count) return offsets
  }
}

/** Runs `use` on a fresh table, closed after. */
function withMarks(name: string, use: (marks: ReadMarks) => void): void {
  const marks = ReadMarks.open(mapping, tempDir(name))
  try {
    use(marks)
  } finally {
    marks.close()
  }
}

describe('read marks', () => {
  it('two records sharing an entry pair both keep their marks, each taken once, and only by its own location', () => {
    withMarks('read-marks-pair', (marks) => {
      const [a, b, c] = sharingAPair(3, 3)
      marks.mark(3, a)
      marks.mark(3, b)
      marks.mark(3, a)
      assert.equal(marks.take(3, c), false, 'a location never read takes nothing')
      assert.equal(marks.take(3, a), true)
      assert.equal(marks.take(3, b), true, 'the second read overwrote the first one\'s mark')
      assert.equal(marks.take(3, a), false, 'a mark is taken once')
      assert.equal(marks.take(3, b), false)
    })
  })

  it('a third read in a full pair replaces one mark, and the other stays', () => {
    withMarks('read-marks-third', (marks) => {
      const [a, b, c] = sharingAPair(5, 3)
      marks.mark(5, a)
      marks.mark(5, b)
      marks.mark(5, c)
      assert.equal(marks.take(5, c), true)
      assert.equal([marks.take(5, a), marks.take(5, b)].filter(Boolean).length, 1)
    })
  })
})
