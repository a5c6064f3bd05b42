/**
 * getOrSet among real processes sharing one directory: a stampede on one
 * key runs one loader in all of them; a holder killed with SIGKILL, or
 * whose loader fails, lets the others load. No test waits for time: each
 * step waits for the children's messages.
 */
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { describe, it } from 'node:test'
import { once } from 'node:events'
import { openCache } from '../../src/index.js'
import { availableBackends, mappingFor } from '../../src/native.js'
import { LeaseTable, locate } from '../../src/store/lease-table.js'
import { tempDir } from '../helpers/temp-dir.js'

const CHILD = new URL('./stampede-child.js', import.meta.url)
const mmap = availableBackends().includes('mmap')

interface Child {
  process: ChildProcess
  /** Every message so far, in order. */
  messages: Array<Record<string, unknown>>
  /** Resolves once a message satisfying `test` has arrived (or has already). */
  until(test: (message: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
}

async function child(dir: string): Promise<Child> {
  const proc = fork(CHILD, [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages: Array<Record<string, unknown>> = []
  const waiters: Array<{ test(m: Record<string, unknown>): boolean; resolve(m: Record<string, unknown>): void }> = []
  proc.on('message', (message: Record<string, unknown>) => {
    messages.push(message)
    for (const w of [...waiters]) if (w.test(message)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(message) }
  })
  const until = (test: (m: Record<string, unknown>) => boolean) => {
    const seen = messages.find(test)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      waiters.push({ test, resolve })
      proc.once('exit', (code, signal) => reject(new Error(`child exited (${code ?? signal}) before the message awaited`)))
    })
  }
  const ready = await until((m) => 'ready' in m)
  assert.equal(ready.ready, true, 'the child shares the lease table')
  return { process: proc, messages, until }
}

async function exitAll(children: Child[]): Promise<void> {
  await Promise.all(children.filter((c) => c.process.exitCode === null && c.process.signalCode === null).map((c) => {
    c.process.send({ exit: true })
    return new Promise((resolve) => c.process.once('exit', resolve))
  }))
}

/** The lease name the client uses for a root key (src/client/cache.ts LEASE_PREFIX, key-scheme.ts). */
const leaseName = (key: string) => `spillway-client\u0001/${key}`

const loaders = (children: Child[]) => children.filter((c) => c.messages.some((m) => 'loading' in m))

describe('getOrSet across processes', { skip: !mmap && 'needs the native addon (the pread backend cannot share a directory)' }, () => {
  it('runs the loader once among processes that all miss one key at once', { timeout: 120_000 }, async () => {
    const dir = tempDir('client-stampede')
    const children = await Promise.all(Array.from({ length: 4 }, () => child(dir)))
    for (const c of children) c.process.send({ go: 'hot', calls: 3 })
    // One child loads; every other child waits on its lease (and the loader's own other calls wait in it).
    const firstLoad = await Promise.race(children.map((c) => c.until((m) => 'loading' in m).then(() => c)))
    await Promise.all(children.filter((c) => c !== firstLoad).map((c) => c.until((m) => m.waiting === 'elsewhere')))
    await firstLoad.until((m) => m.waiting === 'here')
    firstLoad.process.send({ release: true })
    const done = await Promise.all(children.map((c) => c.until((m) => 'done' in m)))
    const expected = `loaded by ${firstLoad.process.pid}`
    for (const d of done) assert.deepEqual(d.done, [expected, expected, expected])
    assert.deepEqual(loaders(children), [firstLoad], 'exactly one loader ran')
    assert.equal(children.flatMap((c) => c.messages).filter((m) => 'loading' in m).length, 1)
    await exitAll(children)
  })

  it('lets a waiting process load when the holder is killed with SIGKILL mid-load', { timeout: 120_000 }, async () => {
    const dir = tempDir('client-stampede')
    const [holder, waiter] = [await child(dir), await child(dir)]
    holder.process.send({ go: 'k' })
    await holder.until((m) => 'loading' in m)
    waiter.process.send({ go: 'k' })
    await waiter.until((m) => m.waiting === 'elsewhere')
    holder.process.kill('SIGKILL')
    await waiter.until((m) => 'loading' in m)
    waiter.process.send({ release: true })
    const done = await waiter.until((m) => 'done' in m)
    assert.deepEqual(done.done, [`loaded by ${waiter.process.pid}`])
    await exitAll([waiter])
  })

  it('lets a waiting process load itself when the holder\'s loader fails, storing nothing from the failure', { timeout: 120_000 }, async () => {
    const dir = tempDir('client-stampede')
    const [holder, waiter] = [await child(dir), await child(dir)]
    holder.process.send({ go: 'k' })
    await holder.until((m) => 'loading' in m)
    waiter.process.send({ go: 'k' })
    await waiter.until((m) => m.waiting === 'elsewhere')
    holder.process.send({ fail: 'origin down' })
    assert.deepEqual((await holder.until((m) => 'done' in m)).done, ['rejected: origin down'])
    await waiter.until((m) => 'loading' in m)
    waiter.process.send({ release: true })
    assert.deepEqual((await waiter.until((m) => 'done' in m)).done, [`loaded by ${waiter.process.pid}`])
    await exitAll([holder, waiter])
  })

  it('waits for another holder\'s lease on the key, and loads once it is let go', { timeout: 120_000 }, async () => {
    const dir = tempDir('client-stampede')
    const cache = await openCache<string>({ dir, serializer: 'json', durability: 'none', backend: 'mmap' })
    const other = LeaseTable.open(mappingFor('mmap'), dir)
    assert.equal(other.take(leaseName('k'), 600_000), 'taken')
    let loads = 0
    const waiting = once(cache.events, 'waiting')
    const calls = [cache.getOrSet('k', () => `load ${++loads}`), cache.getOrSet('k', () => `load ${++loads}`)]
    assert.deepEqual(await waiting, ['k', 'elsewhere'])
    assert.equal(loads, 0)
    other.release(leaseName('k'))
    assert.deepEqual(await Promise.all(calls), ['load 1', 'load 1'])
    other.close()
    await cache.close()
  })

  it('with the key\'s lease slot held for another name, coalesces in this process only and does not wait', { timeout: 120_000 }, async () => {
    const dir = tempDir('client-stampede')
    const cache = await openCache<string>({ dir, serializer: 'json', durability: 'none', backend: 'mmap' })
    const other = LeaseTable.open(mappingFor('mmap'), dir)
    const { base } = locate(leaseName('k'))
    let name = ''
    for (let i = 0; name === ''; i++) if (locate(`other-${i}`).base === base) name = `other-${i}`
    assert.equal(other.take(name, 600_000), 'taken')
    let loads = 0
    const calls = [cache.getOrSet('k', async () => `load ${++loads}`), cache.getOrSet('k', async () => `load ${++loads}`)]
    assert.deepEqual(await Promise.all(calls), ['load 1', 'load 1'])
    assert.equal(await cache.get('k'), 'load 1')
    other.close()
    await cache.close()
  })

  it('serves stale in every process while one process refreshes', { timeout: 120_000 }, async () => {
    const dir = tempDir('client-stampede')
    const [a, b] = [await child(dir), await child(dir)]
    const swr = { go: 'k', ttl: 1000, swr: 60_000 }
    a.process.send(swr)
    await a.until((m) => 'loading' in m)
    a.process.send({ release: true })
    assert.deepEqual((await a.until((m) => 'done' in m)).done, [`loaded by ${a.process.pid}`])
    a.messages.length = 0
    for (const c of [a, b]) {
      c.process.send({ clock: 5000 })
      await c.until((m) => m.clock === 5000)
    }
    a.process.send(swr)
    assert.deepEqual((await a.until((m) => 'done' in m)).done, [`loaded by ${a.process.pid}`], 'a serves stale')
    await a.until((m) => 'refresh' in m)
    await a.until((m) => 'loading' in m)
    b.process.send({ ...swr, calls: 3 })
    assert.deepEqual((await b.until((m) => 'done' in m)).done, Array(3).fill(`loaded by ${a.process.pid}`), 'b serves stale')
    assert.equal(b.messages.some((m) => 'refresh' in m || 'loading' in m), false, 'b leaves the refresh to a')
    a.process.send({ release: true, value: 'refreshed' })
    await a.until((m) => m.refreshed === 'k' && m.error === undefined)
    b.messages.length = 0
    b.process.send({ go: 'k', ttl: 1000 })
    assert.deepEqual((await b.until((m) => 'done' in m)).done, ['refreshed'], 'b reads the refreshed value, fresh')
    assert.equal(b.messages.some((m) => 'loading' in m), false)
    await exitAll([a, b])
  })
})
