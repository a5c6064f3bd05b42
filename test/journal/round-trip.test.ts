import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { MAX_KEY_BYTES } from '../../src/journal/format.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'
import { isValueFor, text, valueFor } from '../helpers/records.js'

const MiB = 1024 * 1024

for (const backend of BACKENDS) {
  describe(`round trips (${backend} backend)`, () => {
    it('reads back values from 0 B to 16 MiB, before and after a reopen', () => {
      const dir = tempDir('roundtrip')
      const sizes = [0, 1, 100, 4096, MiB, 16 * MiB]
      let jd = JournalDir.open(dir, { journalBytes: 32 * MiB, backend })
      const locations = sizes.map((size) => jd.append(`value-${size}`, valueFor(`value-${size}`, 0, size)))
      for (const [i, size] of sizes.entries()) {
        const got = jd.read(locations[i])
        assert.ok(got, `record of ${size} B reads back`)
        assert.equal(got.value.byteLength, size)
        assert.ok(isValueFor(`value-${size}`, 0, got.value))
      }
      jd.close()

      jd = JournalDir.open(dir, { journalBytes: 32 * MiB, backend })
      const replayed = new Map<string, number>()
      jd.replay((e) => replayed.set(text(e.key), e.length))
      for (const [i, size] of sizes.entries()) {
        assert.equal(replayed.get(`value-${size}`), locations[i].length)
        assert.ok(isValueFor(`value-${size}`, 0, jd.read(locations[i])!.value))
      }
      jd.close()
    })

    it('stores keys from 1 byte up to the maximum length, multi-byte UTF-8 included', () => {
      const dir = tempDir('keys')
      const jd = JournalDir.open(dir, { journalBytes: MiB, backend })
      const keys = ['k', 'é', '🙂', 'x'.repeat(255), 'y'.repeat(4096), 'z'.repeat(MAX_KEY_BYTES), 'é'.repeat(MAX_KEY_BYTES / 2 - 1) + 'a']
      const locations = keys.map((key) => jd.append(key, Buffer.from('v')))
      for (const [i, key] of keys.entries()) {
        const got = jd.read(locations[i])!
        assert.equal(text(got.key), key)
        assert.equal(got.key.byteLength, Buffer.byteLength(key))
      }
      jd.close()
    })

    it('keeps flags and expiry, and stamps the write time from the injected clock', () => {
      const dir = tempDir('fields')
      const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend, now: () => 1_700_000_000_000 })
      const at = jd.append('k', 'v', { flags: 1, expiresAt: 1_700_000_060_000 })
      const got = jd.read(at)!
      assert.equal(got.flags, 1)
      assert.equal(got.expiresAt, 1_700_000_060_000)
      assert.equal(got.writeTime, 1_700_000_000_000)
      jd.close()
    })

    it('rejects sizes over a limit with typed errors and keeps what was stored', () => {
      const dir = tempDir('limits')
      const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend })
      const kept = jd.append('kept', 'value')
      assert.throws(() => jd.append('z'.repeat(MAX_KEY_BYTES + 1), 'v'), { code: 'ERR_KEY_TOO_LARGE' })
      assert.throws(() => jd.append('é'.repeat(MAX_KEY_BYTES / 2 + 1), 'v'), { code: 'ERR_KEY_TOO_LARGE' })
      assert.throws(() => jd.append('big', Buffer.alloc(64 * 1024)), { code: 'ERR_VALUE_TOO_LARGE', message: /does not fit in a journal of 65536 bytes/ })
      // The largest value that fits does fit.
      const largest = 64 * 1024 - 4096 - 32 - 3
      const at = jd.append('fit', Buffer.alloc(largest - (largest % 8), 7))
      assert.equal(jd.read(at)!.value.byteLength, largest - (largest % 8))
      assert.equal(text(jd.read(kept)!.value), 'value')
      jd.close()
    })

    it('moves to a new journal when one fills, and reads across all of them', () => {
      const dir = tempDir('rotate')
      const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend })
      const locations = Array.from({ length: 3000 }, (_, i) => jd.append(`key-${i}`, valueFor(`key-${i}`, i, 100)))
      assert.ok(jd.journalIds().length >= 5, `rotated into ${jd.journalIds().length} journals`)
      for (const [i, at] of locations.entries()) assert.ok(isValueFor(`key-${i}`, i, jd.read(at)!.value), `key-${i}`)
      jd.close()
    })
  })
}
