/**
 * The middleware's use of the store's lease table, against a real child
 * process that holds a lease on the same directory (test/helpers/
 * lease-holder.ts): a miss waits for another process's fetch of its URL,
 * and a stale-while-revalidate refresh is left to the process already
 * refreshing; a holder killed with SIGKILL holds nothing.
 */
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { after, describe, it } from 'node:test'
import request from 'supertest'
import { openStore } from '../../src/index.js'
import { backend } from '../../src/native.js'
import { PREFIX } from '../../middleware/core/entry-match.js'
import { startApp } from '../helpers/http-apps.js'
import { tempDir } from '../helpers/temp-dir.js'
import type { HttpCacheControls } from '../../middleware/core/http-cache.js'

const HOLDER = new URL('../helpers/lease-holder.js', import.meta.url)

async function leaseHolder(dir: string): Promise<{ child: ChildProcess; take(name: string): Promise<unknown>; release(name: string): Promise<unknown> }> {
  const child = fork(HOLDER, [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  // A failed assertion must not leave the holder running: the file would never end.
  after(() => { child.kill('SIGKILL') })
  const [ready] = await once(child, 'message') as [{ ready: boolean }]
  assert.equal(ready.ready, true)
  const ask = async (command: object) => {
    child.send(command)
    return ((await once(child, 'message')) as [unknown])[0]
  }
  return { child, take: (name) => ask({ take: name, ms: 600_000 }), release: (name) => ask({ release: name }) }
}

async function killed(child: ChildProcess): Promise<void> {
  child.kill('SIGKILL')
  await once(child, 'exit')
}

function firstWaiting(cache: HttpCacheControls): Promise<'waiting'> {
  return once(cache.events, 'waiting').then(() => 'waiting' as const)
}

describe('cross-process coalescing through the lease table', { skip: backend() !== 'mmap' && 'the pread backend cannot share a directory' }, () => {
  it('a miss waits while another process holds its URL\'s lease, and goes to the origin once that holder is SIGKILLed', async () => {
    const dir = tempDir('leases-http')
    const app = await startApp({ '/slow': (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) } }, { dir })
    const holder = await leaseHolder(dir)
    assert.deepEqual(await holder.take(`${new URL(app.url).host}/slow`), { claim: 'taken' })
    const waited = firstWaiting(app.cache)
    const response = request(app.url).get('/slow').then((r) => r)
    assert.equal(await Promise.race([waited, response.then(() => 'answered')]), 'waiting', 'the request waited on the other process')
    assert.equal(app.originCalls('/slow'), 0)
    await killed(holder.child)
    const r = await response
    assert.equal(r.status, 200)
    assert.equal(r.text, 'n=1')
    assert.equal(app.originCalls('/slow'), 1)
  })

  it('the waiters of one process share one watch; released, they look the store up again, and the next miss leads', async () => {
    const dir = tempDir('leases-http')
    const app = await startApp({ '/a': (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) } }, { dir })
    const name = `${new URL(app.url).host}/a`
    const holder = await leaseHolder(dir)
    assert.deepEqual(await holder.take(name), { claim: 'taken' })
    const three = new Promise<void>((resolve) => app.cache.events.on('waiting', (_key: string, n: number) => { if (n === 3) resolve() }))
    const responses = Promise.all([1, 2, 3].map(() => request(app.url).get('/a').then((r) => r)))
    assert.equal(await Promise.race([three.then(() => 'waiting'), responses.then(() => 'answered')]), 'waiting')
    const stored = once(app.cache.events, 'stored')
    assert.deepEqual(await holder.release(name), { released: true })
    // Nothing was stored by the holder: each waiter fetches, and the cache keeps one response.
    const answered = await responses
    assert.ok(answered.every((r) => r.status === 200))
    await stored
    const after = await request(app.url).get('/a')
    assert.match(after.headers['cache-status'], /hit/)
    assert.deepEqual(await holder.take(name), { claim: 'taken' }, 'this process released the lease of its own fetch')
    await killed(holder.child)
  })

  it('a lease freed by another process between the lookup and the taking: the response it stored is served, with no origin call', async () => {
    const dir = tempDir('leases-http')
    const store = await openStore({ dir })
    const app = await startApp({ '/x': (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) } }, { store })
    const key = `${PREFIX}${new URL(app.url).host}/x`
    assert.equal((await request(app.url).get('/x')).text, 'n=1')
    const stored = store.getSync(key)!
    await store.delete(key)
    // Another process finishes its fetch just after this one's lookup missed: it stores, then releases the lease.
    const take = store.leases.take.bind(store.leases)
    store.leases.take = (name, ms) => {
      if (name === key.slice(PREFIX.length)) void store.set(key, stored, { ttl: 60_000 })
      return take(name, ms)
    }
    const r = await request(app.url).get('/x')
    assert.equal(r.text, 'n=1')
    assert.match(r.headers['cache-status'], /hit; collapsed/)
    assert.equal(app.originCalls('/x'), 1)
    await app.close()
    await store.close()
  })

  it('an invalidation in another process while a fetch is under way: its response is not stored', async () => {
    const dir = tempDir('leases-http')
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    let called!: () => void
    const reached = new Promise<void>((resolve) => { called = resolve })
    const app = await startApp({ '/inv': (_req, res, n) => {
      called()
      void gate.then(() => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) })
    } }, { dir })
    const holder = await leaseHolder(dir)
    const first = request(app.url).get('/inv').then((r) => r)
    await reached
    holder.child.send({ invalidate: `${new URL(app.url).host}/inv` })
    await once(holder.child, 'message')
    const outcome = Promise.race([once(app.cache.events, 'not-stored').then(([, reason]) => reason as string),
      once(app.cache.events, 'stored').then(() => 'stored')])
    release()
    assert.equal((await first).text, 'n=1')
    assert.equal(await outcome, 'invalidated meanwhile')
    await killed(holder.child)
  })

  it('a stale-while-revalidate refresh is left to the process holding its lease, and sent once that holder is gone', async () => {
    let now = 1_700_000_000_000
    const dir = tempDir('leases-http')
    const app = await startApp({ '/swr': (_req, res, n) => { res.setHeader('cache-control', 'max-age=10, stale-while-revalidate=60'); res.end(`v${n}`) } }, { dir, now: () => now })
    await request(app.url).get('/swr')
    now += 20_000
    const holder = await leaseHolder(dir)
    assert.deepEqual(await holder.take(`\u0002refresh ${new URL(app.url).host}/swr`), { claim: 'taken' })
    const refreshes: string[] = []
    app.cache.events.on('refreshing', (key: string) => refreshes.push(key))
    const first = await request(app.url).get('/swr')
    assert.match(first.headers['cache-status'], /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    assert.deepEqual(refreshes, [], 'another process is refreshing it')
    await killed(holder.child)
    const refreshed = once(app.cache.events, 'refreshed')
    const second = await request(app.url).get('/swr')
    assert.match(second.headers['cache-status'], /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    assert.equal(refreshes.length, 1)
    await refreshed
    assert.equal(app.originCalls('/swr'), 2)
    assert.equal((await request(app.url).get('/swr')).text, 'v2')
  })
})
