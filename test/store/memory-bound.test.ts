import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Enough that a JS object kept per entry shows far above the bound (a Map
 * entry with a small object measured 101 bytes an entry at this count), while
 * what the heap holds for reasons other than the entries stays a small share
 * of the bound: under 2 bytes an entry here.
 */
const ENTRIES = 50_000
/** Issue 9: tags cost no JS object per entry; the keydir and postings live in typed arrays, outside the JS heap. */
const MAX_HEAP_BYTES_PER_ENTRY = 64

describe('memory per stored entry', () => {
  for (const backend of BACKENDS) {
    it(`${ENTRIES} tagged entries grow the JS heap by under ${MAX_HEAP_BYTES_PER_ENTRY} bytes each (${backend} backend)`, () => {
      const child = fileURLToPath(new URL('./memory-child.js', import.meta.url))
      const run = spawnSync(process.execPath, ['--expose-gc', child, tempDir('memory'), backend, String(ENTRIES)], { encoding: 'utf8' })
      assert.equal(run.status, 0, run.stderr)
      const result = JSON.parse(run.stdout) as { heapPerEntry: number; externalPerEntry: number; purged: number }
      assert.equal(result.purged, 1, 'the purge found its entry')
      assert.ok(result.heapPerEntry < MAX_HEAP_BYTES_PER_ENTRY,
        `JS heap grew by ${result.heapPerEntry.toFixed(1)} bytes an entry (external ${result.externalPerEntry.toFixed(1)})`)
    })
  }
})
