/**
 * The memory a stored response costs lives in typed arrays, not JS objects:
 * the middleware adds no per-URL tag (invalidation computes keys from the
 * URL), and the store keeps tag postings off the JS heap.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Enough that a JS object kept per entry shows far above the bound (a Map
 * entry with a small object measured 101 bytes an entry at this count), while
 * what the heap holds for reasons other than the entries stays a small share
 * of the bound: under 2 bytes an entry here.
 */
const ENTRIES = 50_000
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
