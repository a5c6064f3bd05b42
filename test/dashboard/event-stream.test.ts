/**
 * The dashboard's event stream, without a browser: its samples are
 * stats() (the store's and the HTTP cache's) as they are, it follows
 * traffic, and it leaks nothing: a closed connection ends its subscription,
 * and the sampler runs exactly while a client is connected.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { outcomesOf } from '../../middleware/dashboard/outcomes.js'
import { startDashboardApp } from './dashboard-app.js'
import { asSent, openEvents } from './event-source.js'

describe('the event stream', () => {
  it('sends samples whose numbers are stats(), the store\'s and the cache\'s', async () => {
    const app = await startDashboardApp()
    for (const path of ['/page/1', '/page/2', '/page/1', '/page/1']) await app.get(path)
    const events = await openEvents(`${app.dashboardUrl}events`)
    assert.equal(events.response.headers['content-type'], 'text/event-stream; charset=utf-8')
    assert.equal(events.response.headers['cache-control'], 'no-store')
    const sample = await events.next()
    assert.deepEqual(sample.store, asSent(app.cache.store()?.stats()))
    assert.deepEqual(sample.http, asSent(app.cache.stats()))
    assert.deepEqual(sample.outcomes, outcomesOf(app.cache.stats()))
    assert.equal(sample.http!.hits, 2, 'two hits, so the numbers compared are not all zero')
    assert.equal(sample.store!.disk.entries > 0, true)
    assert.equal(sample.intervalMs, 20)
    events.close()
  })

  it('follows traffic: a later sample counts a request made after the first', async () => {
    const app = await startDashboardApp()
    const events = await openEvents(`${app.dashboardUrl}events`)
    const first = await events.next()
    assert.equal(first.outcomes!.miss, 0)
    await app.get('/page/9')
    const later = await events.until((s) => s.outcomes!.miss === 1)
    assert.equal(later.http!.stored, 1)
    assert.ok(later.at >= first.at)
    events.close()
  })

  it('a closed connection ends its subscription, and the sampler stops with the last one', async () => {
    const app = await startDashboardApp()
    const { dashboard } = app
    assert.equal(dashboard.sampling, false, 'no sampling before any client')
    const a = await openEvents(`${app.dashboardUrl}events`)
    await a.next()
    const b = await openEvents(`${app.dashboardUrl}events`)
    await b.next()
    assert.equal(dashboard.clients, 2)
    assert.equal(dashboard.sampling, true)

    let left = once(dashboard.events, 'disconnected')
    a.close()
    assert.deepEqual(await left, [1])
    assert.equal(dashboard.clients, 1)
    assert.equal(dashboard.sampling, true, 'one client still connected')
    await b.next()

    left = once(dashboard.events, 'disconnected')
    b.close()
    assert.deepEqual(await left, [0])
    assert.equal(dashboard.clients, 0)
    assert.equal(dashboard.sampling, false, 'the timer stops with the last client')

    // And starts again for the next one.
    const c = await openEvents(`${app.dashboardUrl}events`)
    await c.next()
    assert.equal(dashboard.sampling, true)
    left = once(dashboard.events, 'disconnected')
    c.close()
    await left
    assert.equal(dashboard.sampling, false)
  })

  it('cache.close() ends the open streams cleanly, so the server can close', async () => {
    const app = await startDashboardApp()
    const events = await openEvents(`${app.dashboardUrl}events`)
    await events.next()
    await app.cache.close()
    await events.ended
    assert.equal(app.dashboard.clients, 0)
    assert.equal(app.dashboard.sampling, false)
    // A page that reconnects now is told to stop (an EventSource gives up on a 503), and no sampling starts again.
    const again = await fetch(`${app.dashboardUrl}events`)
    assert.equal(again.status, 503)
    assert.equal(app.dashboard.sampling, false)
  })

  it('a HEAD of the stream gets its headers and no subscription', async () => {
    const app = await startDashboardApp()
    const res = await fetch(`${app.dashboardUrl}events`, { method: 'HEAD' })
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8')
    assert.equal(app.dashboard.clients, 0)
    assert.equal(app.dashboard.sampling, false)
  })

  it('/snapshot answers one sample as JSON, the same numbers', async () => {
    const app = await startDashboardApp()
    await app.get('/page/3')
    const res = await fetch(`${app.dashboardUrl}snapshot`)
    assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8')
    const sample = await res.json() as { store: unknown; http: unknown }
    assert.deepEqual(sample.store, asSent(app.cache.store()?.stats()))
    assert.deepEqual(sample.http, asSent(app.cache.stats()))
    assert.equal(app.dashboard.sampling, false, 'a snapshot starts no timer')
  })
})
