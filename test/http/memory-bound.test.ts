/**
 * Issue 9: the memory a stored response costs lives in typed arrays, not JS
 * objects. Tag postings are off the JS heap, so this holds with or without
 * the middleware's per-URL `url:<key>` tag (issue 9 §1 removes it on the
 * http-entries branch; measured both ways: 1.7 and 2.0 bytes an entry).
 * Re-run it after that merge. About 4 minutes on a loaded 2-core machine.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'

const ENTRIES = 200_000
const MAX_HEAP_BYTES_PER_ENTRY = 64

describe('memory per cached response', () => {
  it(`${ENTRIES} responses tagged by Surrogate-Key or res.locals.cacheTags grow the JS heap by under ${MAX_HEAP_BYTES_PER_ENTRY} bytes each`, () => {
    const child = fileURLToPath(new URL('./memory-child.js', import.meta.url))
    const run = spawnSync(process.execPath, ['--expose-gc', child, tempDir('http-memory'), String(ENTRIES)], { encoding: 'utf8' })
    assert.equal(run.status, 0, run.stderr)
    const result = JSON.parse(run.stdout) as { heapPerEntry: number; externalPerEntry: number; purged: number }
    assert.equal(result.purged, 1, 'the purge found its response')
    assert.ok(result.heapPerEntry < MAX_HEAP_BYTES_PER_ENTRY,
      `JS heap grew by ${result.heapPerEntry.toFixed(1)} bytes an entry (external ${result.externalPerEntry.toFixed(1)})`)
  })
})
