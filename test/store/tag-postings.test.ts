import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { TagPostings } from '../../src/store/tag-postings.js'
import { seededRandom } from '../helpers/seeded-random.js'

describe('TagPostings against a model', () => {
  for (const seed of [1, 2, 3, Math.floor(Math.random() * 2 ** 31)]) {
    it(`holds the same pairs as a Set after random adds, removals and takes (seed ${seed})`, () => {
      const random = seededRandom(seed)
      // Few tags and keys, so runs fill with duplicates and every path is taken.
      const live = new Set<number>()
      const postings = new TagPostings((key) => live.has(key))
      const model = new Set<string>()
      for (let step = 0; step < 40_000; step++) {
        const tag = (Math.floor(random() * 20) * 0x0fff_ffff) >>> 0
        const key = Math.floor(random() * 3000) * 0x0015_0001 >>> 0
        const roll = random()
        if (roll < 0.7) {
          live.add(key)
          postings.add(tag, key)
          model.add(`${tag}/${key}`)
        } else if (roll < 0.95) {
          postings.removeAll(tag, key)
          model.delete(`${tag}/${key}`)
        } else {
          const taken = new Set(postings.take(tag))
          const expected = new Set([...model].filter((pair) => pair.startsWith(`${tag}/`)).map((pair) => Number(pair.split('/')[1])))
          assert.deepEqual(taken, expected, `take(${tag}) at step ${step}`)
          for (const k of expected) model.delete(`${tag}/${k}`)
        }
      }
      assert.ok(postings.size >= model.size, 'nothing live was dropped')
      for (let t = 0; t < 20; t++) {
        const tag = (t * 0x0fff_ffff) >>> 0
        const expected = new Set([...model].filter((pair) => pair.startsWith(`${tag}/`)).map((pair) => Number(pair.split('/')[1])))
        assert.deepEqual(new Set(postings.take(tag)), expected)
      }
      assert.equal(postings.size, 0)
    })
  }

  it('drops, when merging, the postings of key hashes no longer live', () => {
    const live = new Set<number>()
    const postings = new TagPostings((key) => live.has(key))
    for (let key = 0; key < 5000; key++) {
      if (key % 2 === 0) live.add(key)
      postings.add(7, key)
    }
    assert.ok(postings.size < 5000 * 0.75, `${postings.size} postings held for 2500 live keys`)
    assert.ok(postings.take(7).every((key) => key % 2 === 0 || key >= 4096))
  })
})
