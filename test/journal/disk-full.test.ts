import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { availableBackends } from '../../src/native.js'
import { tempDir } from '../helpers/temp-dir.js'
import { runOnTinyFilesystem } from '../helpers/tiny-filesystem.js'

describe('a full disk', () => {
  it('fails the append that needs a new journal with ERR_DISK_FULL, keeps every record, and never crashes', (t) => {
    const run = runOnTinyFilesystem(fileURLToPath(new URL('./fixtures/disk-full.js', import.meta.url)), `${tempDir('full')}/tiny`)
    if (run === undefined) {
      t.skip('cannot mount a private tmpfs here')
      return
    }
    assert.equal(run.status, 0, run.stderr)
    const seen = JSON.parse(run.stdout) as Record<string, Record<string, unknown>>
    assert.deepEqual(Object.keys(seen), availableBackends())
    for (const [backend, outcome] of Object.entries(seen)) {
      assert.equal(outcome.code, 'ERR_DISK_FULL', backend)
      assert.equal(outcome.causeCode, 'ENOSPC', backend)
      assert.equal(outcome.againCode, 'ERR_DISK_FULL', `${backend}: a later append fails the same way`)
      // Three 256 KiB journals fit in 1 MiB; the fourth cannot be allocated.
      assert.ok((outcome.written as number) > 500, `${backend}: ${outcome.written} records written first`)
      assert.equal(outcome.intact, true, `${backend}: every record written before is intact`)
      assert.equal(outcome.replayed, outcome.written, `${backend}: all of them replay after a reopen`)
      assert.deepEqual(outcome.leftovers, [], `${backend}: no half-built journal is left behind`)
    }
  })
})
