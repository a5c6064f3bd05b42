/**
 * What README "Backends" and docs/production.md tell a user to call when the
 * native addon did not build: both come from the package's entry point, not
 * from a deep import the `exports` map would refuse.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import * as spillway from '../../src/index.js'
import { availableBackends } from '../../src/native.js'

describe('the backend diagnostics of the package entry point', () => {
  it('backend() names the backend, and nativeLoadError() says why the addon did not load (nothing when it did)', () => {
    assert.ok(spillway.backend() === 'mmap' || spillway.backend() === 'pread')
    const error = spillway.nativeLoadError()
    if (availableBackends().includes('mmap')) {
      assert.equal(error, undefined)
    } else {
      assert.ok(error instanceof spillway.SpillwayError)
      assert.equal(error.code, 'ERR_NATIVE_UNAVAILABLE')
    }
  })
})
