/**
 * The lease table (src/store/lease-table.ts) between real processes and
 * threads on one real directory: one holder per name, takeover from a
 * holder that died or overstayed, names that share a slot, racing creators,
 * and the fallbacks that keep leases private rather than wrong.
 */
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import { availableBackends, mappingFor } from '../../src/native.js'
import { LeaseTable, LEASES_FILE, locate } from '../../src/store/lease-table.js'
import { ReadMarks } from '../../src/store/read-marks.js'
import { tempDir } from '../helpers/temp-dir.js'

const HOLDER = new URL('../helpers/lease-holder.js', import.meta.url)
const THREAD = new URL('../helpers/lease-thread.js', import.meta.url)
const mmap = availableBackends().includes('mmap')

/** A lease-holder child on `dir`, and a way to send it a command and await its answer. */
async function holder(dir: string): Promise<{ child: ChildProcess; ask(command: object): Promise<Record<string, unknown>> }> {
  const child = fork(HOLDER, [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [ready] = await once(child, 'message') as [{ ready: boolean }]
  assert.equal(ready.ready, true, 'the child maps the shared files')
  return {
    child,
    ask: async (command) => {
      child.send(command)
      const [answer] = await once(child, 'message') as [Record<string, unknown>]
      return answer
    },
  }
}

/** Two names whose slots are the same. */
function namesSharingASlot(): [string, string] {
  const seen = new Map<number, string>()
  for (let i = 0; ; i++) {
    const name = `url-${i}`
    const { base } = locate(name)
    const other = seen.get(base)
    if (other !== undefined) return [other, name]
    seen.set(base, name)
  }
}

describe('the lease table', { skip: !mmap && 'needs the native addon' }, () => {
  it('gives a name to one holder across processes, and takes it over from a holder killed with SIGKILL', async () => {
    const dir = tempDir('leases')
    const child = await holder(dir)
    assert.deepEqual(await child.ask({ take: 'GET example.com/a', ms: 600_000 }), { claim: 'taken' })
    const leases = LeaseTable.open(mappingFor('mmap'), dir)
    assert.equal(leases.shared, true)
    assert.equal(leases.take('GET example.com/a', 1000), 'held')
    assert.equal(leases.heldByOther('GET example.com/a'), true)
    assert.equal(leases.release('GET example.com/a'), false, 'a table cannot release what another holds')
    assert.equal(leases.take('GET example.com/b', 1000), 'taken', 'other names are free')
    child.child.kill('SIGKILL')
    await once(child.child, 'exit')
    assert.equal(leases.heldByOther('GET example.com/a'), false, 'a dead holder holds nothing')
    assert.equal(leases.take('GET example.com/a', 1000), 'taken')
    assert.equal(leases.release('GET example.com/a'), true)
    leases.close()
  })

  it('a lease released in one process can be taken in another at once', async () => {
    const dir = tempDir('leases')
    const child = await holder(dir)
    const leases = LeaseTable.open(mappingFor('mmap'), dir)
    assert.equal(leases.take('k', 600_000), 'taken')
    assert.deepEqual(await child.ask({ take: 'k' }), { claim: 'held' })
    assert.equal(leases.release('k'), true)
    assert.deepEqual(await child.ask({ take: 'k' }), { claim: 'taken' })
    assert.equal(leases.take('k', 1000), 'held')
    child.child.send({ exit: true })
    await once(child.child, 'exit')
    leases.close()
  })

  it('takes over a lease past its deadline; the old holder then cannot release the new one', () => {
    const dir = tempDir('leases')
    let clock = 1_000_000
    const first = LeaseTable.open(mappingFor('mmap'), dir, { now: () => clock })
    const second = LeaseTable.open(mappingFor('mmap'), dir, { now: () => clock })
    assert.equal(first.take('k', 500), 'taken')
    clock += 499
    assert.equal(second.take('k', 500), 'held')
    clock += 1
    assert.equal(second.heldByOther('k'), false)
    assert.equal(second.take('k', 500), 'taken')
    assert.equal(first.release('k'), false)
    assert.equal(first.take('k', 500), 'held')
    assert.equal(first.claims('k'), 2)
    first.close()
    second.close()
  })

  it('two names in one slot: the second is never taken while the first is held, then is', () => {
    const dir = tempDir('leases')
    const [one, two] = namesSharingASlot()
    const a = LeaseTable.open(mappingFor('mmap'), dir)
    const b = LeaseTable.open(mappingFor('mmap'), dir)
    assert.equal(a.take(one, 60_000), 'taken')
    assert.equal(b.take(two, 60_000), 'full')
    assert.equal(b.heldByOther(two), false, 'no one holds the second name: nothing to wait for')
    assert.equal(a.take(two, 60_000), 'full', 'not even by the holder of the first')
    assert.equal(a.release(two), false)
    assert.equal(b.heldByOther(one), true, 'the first is still held')
    assert.equal(a.release(one), true)
    assert.equal(b.take(two, 60_000), 'taken')
    assert.equal(a.take(one, 60_000), 'full')
    a.close()
    b.close()
  })

  it('threads creating the table at once share one file, and one of them holds the name', async () => {
    const dir = tempDir('leases')
    const parties = 4
    const barrier = new SharedArrayBuffer(4)
    const workers = Array.from({ length: parties }, () => new Worker(THREAD, { workerData: { dir, barrier, parties } }))
    try {
      const answers = await Promise.all(workers.map(async (w) => (await once(w, 'message'))[0] as { shared: boolean; claim: string }))
      assert.deepEqual(answers.map((a) => a.shared), answers.map(() => true))
      assert.deepEqual(answers.map((a) => a.claim).sort(), ['held', 'held', 'held', 'taken'])
      assert.deepEqual(fs.readdirSync(dir), ['LEASES'], 'no temporary file is left behind')
    } finally {
      await Promise.all(workers.map((w) => w.terminate()))
    }
  })

  it('a damaged LEASES file gives private leases, and no error', () => {
    const dir = tempDir('leases')
    const file = path.join(dir, LEASES_FILE.name)
    LeaseTable.open(mappingFor('mmap'), dir).close()
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, Buffer.from('XXXX'), 0, 4, 0)
    fs.closeSync(fd)
    const leases = LeaseTable.open(mappingFor('mmap'), dir)
    assert.equal(leases.shared, false)
    assert.match(leases.notSharedBecause!, /LEASES: header checksum mismatch/)
    assert.equal(leases.take('k', 1000), 'taken')
    assert.equal(leases.take('k', 1000), 'held')
    leases.close()
  })
})

describe('the lease table on the pread backend', () => {
  it('orders this process only, and touches no file', () => {
    const dir = tempDir('leases')
    const leases = LeaseTable.open(mappingFor('pread'), dir)
    assert.equal(leases.shared, false)
    assert.equal(leases.take('k', 1000), 'taken')
    assert.equal(leases.take('k', 1000), 'held')
    assert.equal(leases.release('k'), true)
    assert.deepEqual(fs.readdirSync(dir), [])
  })
})

describe('read marks', { skip: !mmap && 'needs the native addon' }, () => {
  it('a read marked in one process is taken once in another', async () => {
    const dir = tempDir('reads')
    const child = await holder(dir)
    const marks = ReadMarks.open(mappingFor('mmap'), dir)
    assert.equal(marks.take(3, 4096), false)
    assert.deepEqual(await child.ask({ mark: [3, 4096] }), { marked: true })
    assert.equal(marks.take(3, 8192), false, 'another record')
    assert.equal(marks.take(4, 4096), false, 'the same offset in another journal')
    assert.equal(marks.take(3, 4096), true)
    assert.equal(marks.take(3, 4096), false, 'taking clears it')
    child.child.kill('SIGKILL')
    marks.close()
  })
})
