/**
 * Cross-process coalescing under node:cluster, on one shared cache
 * directory (issue 11, part 6): a burst of misses for one URL spread over
 * the workers makes one origin call; a stale-while-revalidate refresh runs
 * once across them; and a request that waited on another worker's fetch is
 * matched like any hit, so it never gets a response it would refuse. The
 * origin answers only when the test opens its gate, after the workers have
 * reported the waits it expects: the outcome never depends on timing.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { backend } from '../../src/native.js'
import { startWorkers, type ClusterWorkers } from '../helpers/cluster-workers.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

const WORKER = new URL('../helpers/coalescing-cluster-worker.js', import.meta.url)
const HOST = 'cluster.test'

async function cluster(count: number, dir: string): Promise<{ c: ClusterWorkers; shared: string; own: string[] }> {
  const c = startWorkers(WORKER, count, { CLUSTER_DIR: dir })
  const ready = await Promise.all(c.workers.map((w) => c.next((m) => m.listening !== undefined && m.worker === w.id)))
  assert.equal(new Set(ready.map((m) => m.listening)).size, 1, 'the workers share one port')
  return { c, shared: `http://127.0.0.1:${ready[0].listening}`, own: ready.map((m) => `http://127.0.0.1:${m.own}`) }
}

const origins = (c: ClusterWorkers, path: string) => c.messages.filter((m) => m.origin === path)

/** Which of two awaited outcomes came first: a test that would otherwise wait forever for the first fails at the second. */
function first<A extends string, B extends string>(a: [A, Promise<unknown>], b: [B, Promise<unknown>]): Promise<A | B> {
  return Promise.race([a[1].then(() => a[0]), b[1].then(() => b[0])])
}

describe('coalescing across cluster workers on one directory', { skip: backend() !== 'mmap' && 'the pread backend cannot share a directory' }, () => {
  // One cluster for every test (each on URLs of its own): starting 4 workers costs more than any test.
  let started: ReturnType<typeof cluster> | undefined
  after(async () => { await (await started)?.c.close() })
  // Registered after the workers' close, so removed after they exit.
  const dir = tempDir('cluster')
  const workers = () => (started ??= cluster(4, dir))

  it('200 concurrent requests for one uncached URL, spread over 4 workers, make exactly one origin call', { timeout: 120_000 }, async () => {
    const { c, shared } = await workers()
    const requests = 200
    const responses = Promise.all(Array.from({ length: requests }, () => rawRequest(`${shared}/burst`, { headers: { host: HOST }, timeoutMs: 100_000 })))
    // Every request but the one at the origin waits, in its worker or on another worker's lease.
    assert.equal(await first(['all waited', c.count((m) => m.waiting !== undefined, requests - 1)],
      ['a second origin call', c.count((m) => m.origin === '/burst', 2)]), 'all waited')
    assert.equal(origins(c, '/burst').length, 1)
    c.workers.forEach((w) => w.send({ open: '/burst' }))
    const answered = await responses
    assert.deepEqual(new Set(answered.map((r) => r.status)), new Set([200]))
    assert.equal(new Set(answered.map((r) => r.body.toString())).size, 1, 'every client got the one response')
    await c.fence()
    assert.equal(origins(c, '/burst').length, 1, 'exactly one origin call')
    const waitedIn = new Set(c.messages.filter((m) => m.waiting !== undefined).map((m) => m.worker))
    assert.ok(waitedIn.size >= 2, `requests waited in ${waitedIn.size} worker(s): the burst was not spread`)
  })

  it('a stale-while-revalidate refresh runs once across the workers', { timeout: 60_000 }, async () => {
    const { c, own } = await workers()
    await rawRequest(`${own[0]}/swr`, { headers: { host: HOST } })
    await c.next((m) => typeof m.stored === 'string' && m.stored.endsWith('/swr'))
    const advanced = c.messages.length
    c.workers.forEach((w) => w.send({ advance: 20_000 }))
    await c.count((m) => m.advanced !== undefined && c.messages.indexOf(m) >= advanced, c.workers.length)
    // The refresh's origin call waits at the gate, so its lease is held through the whole burst.
    const stale = await Promise.all(Array.from({ length: 20 }, (_, i) => rawRequest(`${own[i % 2]}/swr`, { headers: { host: HOST } })))
    assert.ok(stale.every((r) => /hit; ttl=-\d+; detail="stale-while-revalidate"/.test(String(r.headers['cache-status']))), 'every request was served the stale entry')
    await c.count((m) => m.origin === '/swr', 2)
    c.workers.forEach((w) => w.send({ open: '/swr' }))
    await c.next((m) => typeof m.refreshed === 'string' && m.refreshed.endsWith('/swr'))
    await c.fence()
    assert.equal(c.messages.filter((m) => m.refreshing !== undefined).length, 1, 'one refresh sent, by one worker')
    assert.equal(origins(c, '/swr').length, 2)
    const fresh = await rawRequest(`${own[1]}/swr`, { headers: { host: HOST } })
    assert.match(String(fresh.headers['cache-status']), /hit/)
    assert.match(fresh.body.toString(), /at \+20000/)
  })

  it('a request that waited on another worker\'s fetch is matched again: a client that refuses gzip never gets it', { timeout: 60_000 }, async () => {
    const { c, own } = await workers()
    const leader = rawRequest(`${own[0]}/enc`, { headers: { host: HOST, 'accept-encoding': 'gzip' } })
    await c.next((m) => m.origin === '/enc')
    const brOnly = rawRequest(`${own[1]}/enc`, { headers: { host: HOST, 'accept-encoding': 'br' } })
    assert.equal(await first(['waited', c.next((m) => m.waiting !== undefined && m.worker === c.workers[1].id)],
      ['went to the origin', c.count((m) => m.origin === '/enc', 2)]), 'waited')
    c.workers.forEach((w) => w.send({ open: '/enc' }))
    assert.equal((await leader).headers['content-encoding'], 'gzip')
    const other = await brOnly
    assert.equal(other.headers['content-encoding'], undefined)
    assert.equal(other.body.toString(), `from worker ${c.workers[1].id}`)
    await c.fence()
    assert.deepEqual(origins(c, '/enc').map((m) => m.worker), [c.workers[0].id, c.workers[1].id])
  })

  // Last: it kills a worker.
  it('a worker killed with SIGKILL while its fetch holds the lease lets the waiters of another worker go to the origin', { timeout: 60_000 }, async () => {
    const { c, own } = await workers()
    const [victim, survivor] = [c.workers[2], c.workers[3]]
    survivor.send({ open: '/dies' })
    const doomed = rawRequest(`${own[2]}/dies`, { headers: { host: HOST } }).then(() => 'answered', () => 'cut off')
    await c.next((m) => m.origin === '/dies')
    const waiter = rawRequest(`${own[3]}/dies`, { headers: { host: HOST }, timeoutMs: 50_000 })
    assert.equal(await first(['waited', c.next((m) => m.waiting !== undefined && m.worker === survivor.id)],
      ['went to the origin', c.count((m) => m.origin === '/dies', 2)]), 'waited')
    victim.process.kill('SIGKILL')
    assert.equal(await doomed, 'cut off')
    const r = await waiter
    assert.equal(r.status, 200)
    assert.equal(r.body.toString(), `from worker ${survivor.id}`)
    assert.deepEqual(origins(c, '/dies').map((m) => m.worker), [victim.id, survivor.id])
  })
})
