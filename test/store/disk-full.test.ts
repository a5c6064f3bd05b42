/**
 * A store on a full disk, per backend: fixtures/disk-full.ts fills a store on
 * a private 1 MiB tmpfs until `set` rejects with ERR_DISK_FULL, goes on using
 * it there, and prints what it saw; this file checks that summary.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'
import { runOnTinyFilesystem } from '../helpers/tiny-filesystem.js'

describe('a store on a full disk', () => {
  it('rejects sets with ERR_DISK_FULL, keeps serving every entry, still admits heap-only entries, and closes', (t) => {
    const run = runOnTinyFilesystem(fileURLToPath(new URL('./fixtures/disk-full.js', import.meta.url)), `${tempDir('store-full')}/tiny`)
    if (run === undefined) {
      t.skip('cannot mount a private tmpfs here')
      return
    }
    assert.equal(run.status, 0, run.stderr)
    const seen = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>
    assert.deepEqual(Object.keys(seen), BACKENDS)
    for (const [backend, o] of Object.entries(seen)) {
      t.diagnostic(`${backend}: ${JSON.stringify(o)}`)
      // Filling: 1000-byte values into 256 KiB journals; three or four journals fit in 1 MiB, no more.
      assert.equal(o.code, 'ERR_DISK_FULL', `${backend}: the set that finds no room rejects with ERR_DISK_FULL`)
      assert.equal(o.causeCode, 'ENOSPC', `${backend}: its cause is the filesystem's ENOSPC`)
      assert.ok((o.written as number) > 500 && (o.written as number) < 1100, `${backend}: ${o.written} entries set first`)
      assert.equal(o.failedKeyAbsent, true, `${backend}: the rejected set left no entry behind`)
      // Reads on the full disk.
      assert.equal(o.intact, true, `${backend}: every entry set before is readable with get, byte for byte`)
      assert.equal(o.intactSync, true, `${backend}: and with getSync`)
      assert.equal(o.missIsUndefined, true, `${backend}: a get of a key never set resolves to undefined`)
      // Writes on the full disk: each fails the same way, and nothing is torn.
      assert.equal(o.againCode, 'ERR_DISK_FULL', `${backend}: a later set rejects the same way`)
      assert.equal(o.againAbsent, true, `${backend}: and leaves no entry behind`)
      assert.equal(o.overwriteCode, 'ERR_DISK_FULL', `${backend}: an overwrite rejects the same way`)
      assert.equal(o.overwriteKeptPrevious, true, `${backend}: and the previous value stays`)
      assert.equal(o.deleteCode, 'ERR_DISK_FULL', `${backend}: a delete rejects: its tombstone cannot be written`)
      assert.equal(o.deletedGoneHere, true, `${backend}: and the entry is gone from this process, as documented`)
      assert.equal(o.stillIntact, true, `${backend}: every other entry is still readable after the failed writes`)
      assert.equal(o.flush, 'resolved', `${backend}: flush() resolves`)
      assert.equal(o.statsEntries, true, `${backend}: stats() works`)
      assert.equal(o.close, 'resolved', `${backend}: close() resolves`)
      // Reopened on the still-full disk with admission 'second-hit'.
      assert.equal(o.reopen, 'resolved', `${backend}: the store reopens on the full disk`)
      assert.equal(o.reopenIntact, true, `${backend}: with every entry set before`)
      assert.deepEqual(o.reopenReports, [], `${backend}: and no corruption`)
      assert.equal(o.firstSighting, 'resolved', `${backend}: a first-sighting set (heap tier only) succeeds on the full disk`)
      assert.equal(o.firstSightingValue, 'first value', `${backend}: and is readable`)
      assert.equal(o.diskWritesSaved, 1, `${backend}: as one disk write saved`)
      assert.equal(o.secondSightingCode, 'ERR_DISK_FULL', `${backend}: the second sighting goes to disk, and rejects`)
      assert.equal(o.afterSecondSightingValue, 'first value', `${backend}: leaving the previous value`)
      assert.equal(o.secondClose, 'resolved', `${backend}: close() resolves again`)
      assert.deepEqual(o.leftovers, [], `${backend}: no half-built journal is left behind`)
    }
  })
})
