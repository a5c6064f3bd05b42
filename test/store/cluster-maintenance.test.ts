import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { availableBackends } from '../../src/native.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Maintenance beside other writers (issue 11, part 5): a compaction in one
 * process checks whether a record is still its key's newest before it moves
 * it or carries a tombstone for it, and another process may write the key
 * in between. Replay keeps the newest record in the log, so the move or
 * tombstone must never land after that write unless it saw it.
 */
const COMPACTOR = new URL('./fixtures/compacting-child.js', import.meta.url)
const JOURNAL_BYTES = 64 * 1024
const options = { journalBytes: JOURNAL_BYTES, autoCompact: false, durability: 'none' as const }

interface Child {
  child: ChildProcess
  next(): Promise<unknown>
}

function forkCompactor(dir: string): Child {
  const child = fork(COMPACTOR, [dir, String(JOURNAL_BYTES)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const queue: unknown[] = []
  const waiting: ((m: unknown) => void)[] = []
  child.on('message', (m) => (waiting.length > 0 ? waiting.shift()!(m) : queue.push(m)))
  const exited = once(child, 'exit')
  return {
    child,
    next: () => new Promise((resolve, reject) => {
      if (queue.length > 0) return resolve(queue.shift())
      waiting.push(resolve)
      void exited.then(([code]) => reject(new Error(`compactor exited with ${String(code)}`)))
    }),
  }
}

/** Runs the child's compaction; `onStep` runs in this process before each step of every drain. */
async function compactInChild(compactor: Child, onStep: (step: number, journalId: number, kind: string) => Promise<void>): Promise<{ journals: number[] }> {
  compactor.child.send('compact')
  for (let step = 0; ; step++) {
    const message = await compactor.next() as { step?: number; kind?: string; compacted?: { journals: number[] } }
    if (message.compacted !== undefined) return message.compacted
    await onStep(step, message.step!, message.kind!)
    compactor.child.send('continue')
  }
}

describe('maintenance beside writers in other processes (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('a move never lands after a newer write of its key by another process, so replay never brings the older value back', async () => {
    const dir = tempDir('move-race')
    const setup = await openStore({ dir, ...options })
    await setup.set('k', 'old')
    // Journal 1 holds k first, then filler that later sets make dead: a compaction candidate.
    for (let i = 0; i < 400; i++) await setup.set('filler', `${'x'.repeat(400)}${i}`)
    await setup.close()
    const store = await openStore({ dir, ...options })
    const compactor = forkCompactor(dir)
    try {
      assert.equal(await compactor.next(), 'ready')
      // Before the drain's first step (k's record): another process writes k.
      const report = await compactInChild(compactor, async (step) => {
        if (step === 0) await store.set('k', 'new')
      })
      assert.ok(report.journals.includes(1), `journal 1 was compacted (${report.journals.join(',')})`)
      assert.equal((await store.get('k'))?.toString(), 'new', 'the writer sees its own write after the compaction')
      compactor.child.send({ get: 'k' })
      assert.deepEqual(await compactor.next(), { value: 'new' }, 'and so does the compacting process')
      compactor.child.send('close')
      await once(compactor.child, 'exit')
      await store.close()
      const reopened = await openStore({ dir, ...options })
      assert.equal((await reopened.get('k'))?.toString(), 'new', 'and so does replay')
      await reopened.close()
    } finally {
      compactor.child.kill('SIGKILL')
    }
  })

  it('a carried tombstone never lands after a newer write of its key by another process', async () => {
    const dir = tempDir('tombstone-race')
    const setup = await openStore({ dir, ...options })
    // Journal 1: k's old value among live entries that fill it, so it is no candidate and its records stay.
    await setup.set('k', 'old')
    for (let i = 0; i < 150; i++) await setup.set(`live-${i}`, 'y'.repeat(400))
    // Then k deleted, and filler made dead: journal 2 (and later ones) are candidates that carry k's tombstone.
    await setup.delete('k')
    for (let i = 0; i < 400; i++) await setup.set('filler', `${'x'.repeat(400)}${i}`)
    await setup.close()
    const store = await openStore({ dir, ...options })
    const compactor = forkCompactor(dir)
    let last = ''
    try {
      assert.equal(await compactor.next(), 'ready')
      // Just before the drain of journal 2 carries its first tombstone (k's), another process writes k again.
      const report = await compactInChild(compactor, async (step, journalId, kind) => {
        if (journalId !== 2 || kind !== 'tombstone' || last !== '') return
        last = `new-${step}`
        await store.set('k', last)
      })
      assert.ok(report.journals.includes(2), `journal 2 was compacted (${report.journals.join(',')})`)
      assert.equal((await store.get('k'))?.toString(), last)
      compactor.child.send({ get: 'k' })
      assert.deepEqual(await compactor.next(), { value: last })
      compactor.child.send('close')
      await once(compactor.child, 'exit')
      await store.close()
      const reopened = await openStore({ dir, ...options })
      assert.equal((await reopened.get('k'))?.toString(), last, 'replay keeps the newest write')
      await reopened.close()
    } finally {
      compactor.child.kill('SIGKILL')
    }
  })
})
