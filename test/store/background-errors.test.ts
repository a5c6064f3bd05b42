/**
 * No background failure is swallowed (issue 7 §3): a flush of 'interval'
 * durability or an automatic compaction that fails reaches onError with its
 * code, is counted in stats().errors, and makes the next flush() reject.
 * The failures are real: the child (fixtures/background-failure.ts) lowers
 * its own file-size limit, so the pread backend's write-back fails with
 * EFBIG. The mmap backend's write-back is the kernel's, which that limit
 * does not reach, and no test here can make msync fail; it shares the code
 * path above the backend.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openStore } from '../../src/index.js'
import { availableBackends } from '../../src/native.js'
import { tempDir } from '../helpers/temp-dir.js'

const FIXTURE = fileURLToPath(new URL('./fixtures/background-failure.js', import.meta.url))

async function runFixture(mode: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn('sh', ['-c', `trap '' XFSZ; exec "$@"`, 'sh', process.execPath, FIXTURE, tempDir('background-failure'), mode],
    { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  // Before the fix the child waits forever for a report that never comes: fail instead of hanging the suite.
  const guard = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const [status] = await once(child, 'close')
  clearTimeout(guard)
  return { status, stdout, stderr }
}

describe('background failures', () => {
  const skip = availableBackends().includes('pread') ? false : 'the pread backend is not available'

  it("a failed 'interval' flush reaches onError with its code, and flush() rejects until the bytes are written back", { skip }, async () => {
    const run = await runFixture('flush')
    assert.equal(run.status, 0, `the child was killed or failed: ${run.stderr}`)
    const seen = JSON.parse(run.stdout)
    assert.deepEqual(seen.reported.map((r: { code: string; operation: string }) => [r.code, r.operation])[0], ['EFBIG', 'flush'])
    assert.ok(seen.stats.flush >= 1, 'counted in stats().errors.flush')
    assert.equal(seen.stats.lastCode, 'EFBIG')
    assert.equal(seen.firstFlush, 'EFBIG', 'the next flush() rejects with it')
    assert.equal(seen.secondFlush, 'EFBIG', 'and so does every flush() while the write-back keeps failing')
    assert.equal(seen.afterLimit, 'resolved', 'the range was kept: once the limit is lifted, it is written back')
    assert.equal(seen.close, 'resolved')
  })

  it('a failed automatic compaction reaches onError as maintenance, and the next flush() rejects', { skip }, async () => {
    const run = await runFixture('maintenance')
    assert.equal(run.status, 0, `the child was killed or failed: ${run.stderr}`)
    const seen = JSON.parse(run.stdout)
    assert.deepEqual(seen.reported.map((r: { code: string; operation: string }) => [r.code, r.operation])[0], ['EFBIG', 'maintenance'])
    assert.equal(seen.stats.maintenance, 1, 'counted in stats().errors.maintenance')
    assert.equal(seen.firstFlush, 'EFBIG', "the compaction's flush covered the caller's writes: the next flush() rejects")
    assert.equal(seen.secondFlush, 'EFBIG', 'while the write-back keeps failing')
    assert.equal(seen.afterLimit, 'resolved')
    assert.equal(seen.close, 'resolved')
  })

  it('onError must be a function; stats().errors starts at zero', async () => {
    await assert.rejects(openStore({ dir: tempDir('on-error'), onError: 'log' as never }), TypeError)
    const store = await openStore({ dir: tempDir('on-error') })
    assert.deepEqual(store.stats().errors, { flush: 0, maintenance: 0, lastCode: undefined })
    await store.close()
  })
})
