/**
 * A store failure through Keyv: KeyvSpillway on a full disk (a private 1 MiB
 * tmpfs, fixtures/keyv-disk-full.ts). The set that finds no room resolves
 * false with ERR_DISK_FULL on Keyv's `error` event; everything stored before
 * stays readable, and a refused overwrite keeps the previous value.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'
import { runOnTinyFilesystem } from '../helpers/tiny-filesystem.js'

describe('KeyvSpillway on a full disk', () => {
  it('reports ERR_DISK_FULL through Keyv\'s error event and loses nothing stored', (t) => {
    const run = runOnTinyFilesystem(fileURLToPath(new URL('./fixtures/keyv-disk-full.js', import.meta.url)), `${tempDir('keyv-full')}/tiny`)
    if (run === undefined) {
      t.skip('cannot mount a private tmpfs here (unshare -rm)')
      return
    }
    assert.equal(run.status, 0, run.stderr)
    const seen = JSON.parse(run.stdout) as Record<string, unknown>
    t.diagnostic(JSON.stringify(seen))
    // 1000-character values into 256 KiB journals: three or four journals fit in 1 MiB.
    assert.ok((seen.written as number) > 500 && (seen.written as number) < 1100, `${seen.written} entries set before the disk filled`)
    assert.equal(seen.code, 'ERR_DISK_FULL')
    assert.equal(seen.causeCode, 'ENOSPC')
    assert.equal(seen.failedKeyAbsent, true, 'the refused set left no entry')
    assert.equal(seen.intact, true, 'every entry set before is read back')
    assert.equal(seen.overwrite, false)
    assert.equal(seen.overwriteCode, 'ERR_DISK_FULL')
    assert.equal(seen.overwriteKeptPrevious, true)
  })
})
