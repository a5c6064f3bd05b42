import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { journalFileName } from '../../src/journal/format.js'
import { availableBackends } from '../../src/native.js'
import { forkHistoryWorker, historyViolations } from '../helpers/history-check.js'
import { tempDir } from '../helpers/temp-dir.js'
import type { LoggedOp } from './fixtures/history-worker.js'

/**
 * Issue 11, "Maintenance under load": three processes run random sets,
 * deletes, purges and reads (compacting in their turns) while a fourth
 * compacts, and is SIGKILLed mid-compaction, holding the maintenance lease.
 * Another process takes the lease over and finishes the job. No read
 * returns an overwritten value, and nothing acknowledged is lost.
 */
const COMPACTOR = new URL('./fixtures/compacting-child.js', import.meta.url)
const JOURNAL_BYTES = 64 * 1024
const WORKERS = 3
const OPS = 1500

function messages(child: ChildProcess): () => Promise<unknown> {
  const queue: unknown[] = []
  const waiting: ((m: unknown) => void)[] = []
  child.on('message', (m) => (waiting.length > 0 ? waiting.shift()!(m) : queue.push(m)))
  const exited = once(child, 'exit')
  return () => new Promise((resolve, reject) => {
    if (queue.length > 0) return resolve(queue.shift())
    waiting.push(resolve)
    void exited.then(([code]) => reject(new Error(`compactor exited with ${String(code)}`)))
  })
}

/** The values a key may hold once every operation has completed: those of writes no later write of the key follows. */
function finalValuesAllowed(logs: LoggedOp[][], key: string): { values: Set<string>; maybeGone: boolean } {
  const all = logs.flat()
  const writes = all.filter((op) => (op.op === 'set' || op.op === 'delete') && op.key === key)
  const last = (op: LoggedOp) => !writes.some((other) => other.start > op.end)
  const values = new Set(writes.filter((op) => op.op === 'set' && last(op)).map((op) => op.value!))
  const maybeGone = writes.length === 0 || writes.some((op) => op.op === 'delete' && last(op)) ||
    all.some((op) => op.op === 'purge' && last(op))
  return { values, maybeGone }
}

describe('maintenance under load (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('the lease holder killed mid-compaction: another takes over, no wrong value, nothing acknowledged lost', { timeout: 120_000 }, async (t) => {
    const seed = Number(process.env['HISTORY_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
    t.diagnostic(`HISTORY_SEED=${seed}`)
    const dir = tempDir('maintenance-load')
    const compactor = fork(COMPACTOR, [dir, String(JOURNAL_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const next = messages(compactor)
    const workers = Array.from({ length: WORKERS }, (_, i) => forkHistoryWorker(dir, seed, i, OPS, { journalBytes: JOURNAL_BYTES }))
    try {
      assert.equal(await next(), 'ready')
      await Promise.all(workers.map((w) => w.ready))
      for (const w of workers) w.child.send('go')
      // Make journals dead and compact them until a drain is under way (a worker may hold the lease for
      // a turn, or drain them first), and kill the drain at its third step.
      let victim: number | undefined
      for (let steps = 0; victim === undefined;) {
        compactor.send('churn')
        assert.equal(await next(), 'churned')
        compactor.send('compact')
        for (;;) {
          const message = await next() as { step?: number; compacted?: unknown }
          if (message.compacted !== undefined) break
          if (++steps === 3) {
            victim = message.step
            compactor.kill('SIGKILL')
            await once(compactor, 'exit')
            break
          }
          compactor.send('continue')
        }
      }
      const journal = path.join(dir, journalFileName(victim))
      // Another process takes the lease over and drains the journal the dead holder left half done.
      const store = await openStore({ dir, journalBytes: JOURNAL_BYTES })
      let taken = false
      while (fs.existsSync(journal)) taken = (await store.compact()).journals.includes(victim) || taken
      t.diagnostic(`journal ${victim} drained by ${taken ? 'this process' : 'a worker'} after the kill`)
      const logs = await Promise.all(workers.map((w) => w.log))
      const violations = historyViolations(logs)
      assert.deepEqual(violations.slice(0, 10), [], `seed ${seed}: ${violations.length} violations`)
      await store.close()
      const reopened = await openStore({ dir, journalBytes: JOURNAL_BYTES })
      try {
        const keys = new Set(logs.flat().filter((op) => op.op === 'set').map((op) => op.key))
        for (const key of keys) {
          const { values, maybeGone } = finalValuesAllowed(logs, key)
          const value = (await reopened.get(key))?.toString()
          if (value === undefined) assert.ok(maybeGone, `seed ${seed}: ${key} lost (expected one of ${[...values].join(', ')})`)
          else assert.ok(values.has(value), `seed ${seed}: ${key} holds ${value}, not one of ${[...values].join(', ')}`)
        }
      } finally {
        await reopened.close()
      }
    } finally {
      compactor.kill('SIGKILL')
      for (const w of workers) w.child.kill('SIGKILL')
    }
  })
})
