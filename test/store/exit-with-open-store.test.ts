/**
 * A cache must never keep its process alive: a program that forgets to close
 * its store, or a test that fails before it reaches close(), still exits.
 * (A test file whose test failed with a store open used to hang instead of
 * reporting: the sidecar worker's port was ref'd again by its 'message'
 * listener, added after the worker was unref'd.)
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const CHILD = fileURLToPath(new URL('./fixtures/open-store-exit.js', import.meta.url))
/** Only so that a regression fails the test rather than hanging the suite; a passing child exits long before. */
const HANG_GUARD_MS = 30_000

describe('a store left open does not keep its process alive', () => {
  for (const backend of BACKENDS) {
    for (const durability of ['always', 'interval'] as const) {
      it(`${backend} backend, durability '${durability}': the process exits once its work is done`, async () => {
        const child = spawn(process.execPath, [CHILD, tempDir('open-store-exit'), durability],
          { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPILLWAY_BACKEND: backend } })
        let out = ''
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
        let hung = false
        const guard = setTimeout(() => { hung = true; child.kill('SIGKILL') }, HANG_GUARD_MS)
        const [code] = await once(child, 'close')
        clearTimeout(guard)
        assert.equal(out, 'written\n', 'the child wrote until journals sealed')
        assert.equal(hung, false, 'the process exited on its own with the store still open')
        assert.equal(code, 0)
      })
    }
  }
})
