import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * The open sizes the keydir for the records the journals hold, then gives
 * back what overwrites and deletes made that an over-estimate of (see
 * DiskTier.rebuild): either way the index stays within the bytes a key of a
 * table grown one insert at a time.
 */
const KEYS = 6000
const MAX_KEYDIR_BYTES_PER_KEY = 32

describe('the keydir an open rebuilds', () => {
  for (const backend of BACKENDS) {
    it(`stays within ${MAX_KEYDIR_BYTES_PER_KEY} bytes a key when most records are overwritten or deleted, and finds every key (${backend} backend)`, async () => {
      const dir = tempDir('keydir-rebuild')
      const options = { dir, backend, journalBytes: 256 * 1024, maxDiskBytes: 2 ** 30, maxHeapBytes: 0, autoCompact: false, maintenance: false, compression: false }
      let store = await openStore(options)
      const value = (key: number, round: number) => Buffer.from(`${key}:${round}:`.padEnd(100, 'v'))
      // Eight records a key in all, one live: an estimate from records is eight times the keys.
      for (let round = 0; round < 8; round++) {
        for (let k = 0; k < KEYS; k++) {
          if (round === 7 && k % 2 === 1) await store.delete(`key-${k}`)
          else await store.set(`key-${k}`, value(k, round))
        }
      }
      await store.close()
      store = await openStore(options)
      try {
        const { entries, keydirBytes } = store.stats().disk
        assert.equal(entries, KEYS / 2)
        assert.ok(keydirBytes / entries <= MAX_KEYDIR_BYTES_PER_KEY, `${(keydirBytes / entries).toFixed(1)} bytes a key`)
        for (let k = 0; k < KEYS; k++) {
          const got = store.getSync(`key-${k}`)
          if (k % 2 === 1) assert.equal(got, undefined, `key-${k} was deleted`)
          else assert.equal(got?.toString(), value(k, 7).toString(), `key-${k}`)
        }
      } finally {
        await store.close()
      }
    })
  }
})
