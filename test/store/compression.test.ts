import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

const compressible = Buffer.from(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, name: `user ${i}`, active: i % 2 === 0 }))))

describe('compression', () => {
  it('stores compressible values above the threshold compressed, and returns the original bytes', async () => {
    const dir = tempDir('compress')
    const store = await openStore({ dir, journalBytes: 256 * 1024, maxHeapBytes: 0, compression: true })
    await store.set('json', compressible, { tags: ['t'] })
    assert.ok(store.stats().writeAmplification < 0.5, `stored at ${store.stats().writeAmplification} of its size`)
    assert.deepEqual(await store.get('json'), compressible)
    await store.close()
    const reopened = await openStore({ dir, journalBytes: 256 * 1024, maxHeapBytes: 0 })
    assert.deepEqual(await reopened.get('json'), compressible)
    assert.equal(await reopened.purgeTag('t'), 1, 'the tag block stays readable in front of a compressed value')
    await reopened.close()
  })

  it('keeps values raw when compression would not shrink them, below the threshold, or by default', async () => {
    for (const [value, options] of [
      [randomBytes(8192), { compression: true }],
      [compressible.subarray(0, 1000), { compression: true }],
      [compressible, {}],
    ] as const) {
      const store = await openStore({ dir: tempDir('raw'), journalBytes: 256 * 1024, maxHeapBytes: 0, ...options })
      await store.set('k', value)
      assert.ok(store.stats().writeAmplification >= 1, `${value.byteLength} bytes stored raw`)
      assert.deepEqual(await store.get('k'), Buffer.from(value))
      await store.close()
    }
  })
})
