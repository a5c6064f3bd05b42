import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { availableBackends } from '../../src/native.js'
import { forkHistoryWorker, historyViolations } from '../helpers/history-check.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Issue 11, "History check": four processes share one directory and run
 * random sets, deletes, tag purges and reads on overlapping keys. No read
 * may return a value already overwritten, deleted or purged by an operation
 * that completed before the read started. Replay a failure with
 * HISTORY_SEED=<the seed printed>.
 */
const PROCESSES = 4
const OPS = 1500

describe('several processes on one directory (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('every read sees every write, delete and purge completed before it started, in every process', async (t) => {
    const seed = Number(process.env['HISTORY_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
    t.diagnostic(`HISTORY_SEED=${seed}`)
    const dir = tempDir('history')
    // Small journals, so the processes rotate through several while they run.
    const options = { journalBytes: 64 * 1024, autoCompact: false }
    const workers = Array.from({ length: PROCESSES }, (_, i) => forkHistoryWorker(dir, seed, i, OPS, options))
    try {
      await Promise.all(workers.map((w) => w.ready))
      for (const w of workers) w.child.send('go')
      const logs = await Promise.all(workers.map((w) => w.log))
      const reads = logs.flat().filter((op) => (op.op === 'get' || op.op === 'getSync') && op.value !== undefined)
      assert.ok(reads.length > PROCESSES * OPS * 0.1, `reads found values (${reads.length})`)
      const violations = historyViolations(logs)
      assert.deepEqual(violations.slice(0, 10), [], `seed ${seed}: ${violations.length} violations`)
    } finally {
      for (const w of workers) w.child.kill('SIGKILL')
    }
  })
})
