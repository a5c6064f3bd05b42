import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

/** Fits the 1 MiB tier of the child: nothing is evicted, so everything promoted is still held at the end. */
const PROMOTIONS = 2000

describe('what the heap tier holds is what it counts', () => {
  for (const backend of BACKENDS) {
    it(`${PROMOTIONS} small values promoted one read in 41 keep no more memory than the tier counts (${backend} backend)`, () => {
      const child = fileURLToPath(new URL('./heap-memory-child.js', import.meta.url))
      const run = spawnSync(process.execPath, ['--expose-gc', child, tempDir('heap-memory'), backend, String(PROMOTIONS)], { encoding: 'utf8' })
      assert.equal(run.status, 0, run.stderr)
      const result = JSON.parse(run.stdout) as { entries: number; tierBytes: number; arrayBuffersGrown: number }
      assert.equal(result.entries, PROMOTIONS, 'every second read was promoted')
      // Each value kept as a slice of Node's 8 KiB Buffer pool would keep its slab: about 8 KiB an entry.
      assert.ok(result.arrayBuffersGrown <= result.tierBytes,
        `array buffers grew by ${result.arrayBuffersGrown} bytes for a tier counting ${result.tierBytes}`)
    })
  }
})
