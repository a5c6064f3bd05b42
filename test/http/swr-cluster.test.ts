/**
 * stale-while-revalidate under node:cluster: the background refresh is a
 * request to the shared port, so it may land on another worker, which must
 * send it to the origin, never serve it from its cache nor refresh it again.
 */
import assert from 'node:assert/strict'
import cluster, { type Worker } from 'node:cluster'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

type Message = { listening?: number; origin?: string; advanced?: number; refresh?: string; worker: number; cacheStatus?: string; reachedOrigin?: boolean }

describe('stale-while-revalidate under several cluster workers', () => {
  it('a refresh that lands on another worker reaches the origin, and is neither served from cache nor refreshed again', async () => {
    cluster.setupPrimary({ exec: fileURLToPath(new URL('../helpers/swr-cluster-worker.js', import.meta.url)) })
    const env = { SWR_DIR: tempDir('swr-cluster') }
    const workers: Worker[] = [cluster.fork(env), cluster.fork(env)]
    const messages: Message[] = []
    const waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = []
    const next = (match: (m: Message) => boolean) => new Promise<Message>((resolve) => {
      const seen = messages.find(match)
      if (seen !== undefined) resolve(seen)
      else waiters.push({ match, resolve })
    })
    for (const w of workers) {
      w.on('message', (m: Message) => {
        messages.push(m)
        for (const waiter of waiters.filter((x) => x.match(m))) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(m)
        }
      })
    }
    after(() => { for (const w of workers) if (w.isConnected()) w.send({ close: true }) })
    const ports = await Promise.all(workers.map((w) => next((m) => m.listening !== undefined && m.worker === w.id)))
    assert.equal(ports[0].listening, ports[1].listening, 'the workers share one port')
    const url = `http://127.0.0.1:${ports[0].listening}`

    // Fill both workers' caches with every URL: round-robin sends fresh connections to each in turn.
    const names = ['a', 'b', 'c', 'd', 'e', 'f']
    for (const name of names) {
      for (let i = 0; i < 8 && new Set(messages.filter((m) => m.origin === `/swr/${name}`).map((m) => m.worker)).size < 2; i++) {
        await rawRequest(`${url}/swr/${name}`)
      }
      assert.equal(new Set(messages.filter((m) => m.origin === `/swr/${name}`).map((m) => m.worker)).size, 2, `both workers stored /swr/${name}`)
    }
    workers.forEach((w) => w.send({ advance: 20_000 }))
    await Promise.all(workers.map((w) => next((m) => m.advanced === w.id)))

    let crossed = 0
    for (const name of names) {
      const stale = await rawRequest(`${url}/swr/${name}`)
      assert.match(String(stale.headers['cache-status']), /hit; ttl=-\d+; detail="stale-while-revalidate"/)
      const servedBy = Number(/from worker (\d+)/.exec(stale.body.toString())![1])
      const refresh = await next((m) => m.refresh === `/swr/${name}`)
      if (refresh.worker !== servedBy) crossed++
      assert.ok(refresh.reachedOrigin, `refresh of /swr/${name} on worker ${refresh.worker} (stale served by ${servedBy}): ${refresh.cacheStatus}`)
      assert.doesNotMatch(String(refresh.cacheStatus), /hit|stale/, 'a refresh is never served from cache')
    }
    assert.ok(crossed > 0, 'no refresh landed on another worker: the test did not exercise the routing')
    // Every refresh received was answered by the origin: none was served stale, so none fired another.
    const refreshes = messages.filter((m) => m.refresh !== undefined)
    assert.ok(refreshes.every((m) => m.reachedOrigin), JSON.stringify(refreshes))
  })
})
