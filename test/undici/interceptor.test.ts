import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { SpillwayCacheStore } from '../../middleware/undici-store.js'
import { tempDir } from '../helpers/temp-dir.js'
import { cachingAgent, fetchThrough, openCacheStore, read, SMALL, startOrigin, TestClock } from './support.js'

/* Real undici requests through interceptors.cache({ store: SpillwayCacheStore }) to a real origin on port 0. */

describe('undici interceptors.cache over SpillwayCacheStore', () => {
  it('answers a second request from the store, with Age', async () => {
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, s-maxage=10'); res.end(`body ${n}`) })
    const { store, reported } = openCacheStore({ dir: tempDir('undici') })
    const agent = cachingAgent(store)
    assert.equal((await fetchThrough(agent, `${origin.url}/a`)).text, 'body 1')
    const second = await fetchThrough(agent, `${origin.url}/a`)
    assert.equal(second.text, 'body 1')
    assert.match(String(second.headers.age), /^\d+$/)
    assert.equal(origin.calls('/a'), 1)
    assert.deepEqual(reported, [])
  })

  it('does not store a response without Cache-Control', async () => {
    const origin = await startOrigin((_req, res, n) => res.end(`body ${n}`))
    const { store } = openCacheStore({ dir: tempDir('undici') })
    const agent = cachingAgent(store)
    await fetchThrough(agent, `${origin.url}/plain`)
    assert.equal((await fetchThrough(agent, `${origin.url}/plain`)).text, 'body 2')
  })

  it('respects Vary on two request headers', async () => {
    const origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'public, s-maxage=10')
      res.setHeader('vary', 'some-header, another-header')
      res.end(req.headers['some-header'] === 'abc123' ? 'asd' : 'dsa')
    })
    const { store } = openCacheStore({ dir: tempDir('undici') })
    const agent = cachingAgent(store)
    const first = { 'some-header': 'abc123', 'another-header': '123abc' }
    assert.equal((await fetchThrough(agent, `${origin.url}/`, { headers: first })).text, 'asd')
    assert.equal((await fetchThrough(agent, `${origin.url}/`, { headers: { 'some-header': 'qwerty', 'another-header': 'asdfg' } })).text, 'dsa')
    assert.equal(origin.calls(), 2)
    assert.equal((await fetchThrough(agent, `${origin.url}/`, { headers: first })).text, 'asd')
    assert.equal((await fetchThrough(agent, `${origin.url}/`, { headers: { ...first, 'another-header': 'other' } })).text, 'asd')
    assert.equal(origin.calls(), 3, 'the first variant from the store; a third combination from the origin')
  })

  it('serves the stored body whenever the origin answers a revalidation with 304', async () => {
    const origin = await startOrigin((req, res, n) => {
      res.setHeader('etag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') {
        // Without Cache-Control: a 304 that updates it makes undici drop the entry (its interceptor's choice, any store).
        res.statusCode = 304
        res.end()
      } else {
        res.setHeader('cache-control', 'public, max-age=60, no-cache')
        res.end(`full body ${n}`)
      }
    })
    const { store } = openCacheStore({ dir: tempDir('undici') })
    const agent = cachingAgent(store)
    assert.equal((await fetchThrough(agent, `${origin.url}/r`)).text, 'full body 1')
    for (let i = 0; i < 2; i++) {
      const revalidated = await fetchThrough(agent, `${origin.url}/r`)
      assert.equal(revalidated.status, 200)
      assert.equal(revalidated.text, 'full body 1')
    }
    assert.equal(origin.calls('/r'), 3, 'no-cache: every later request is a revalidation')
    const stored = await read(store, { origin: origin.url, method: 'GET', path: '/r', headers: {} })
    assert.equal(stored?.etag, '"v1"')
  })

  it('forgets a URL after an unsafe request to it', async () => {
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, max-age=60'); res.end(`v${n}`) })
    const { store } = openCacheStore({ dir: tempDir('undici') })
    const agent = cachingAgent(store)
    await fetchThrough(agent, `${origin.url}/item`)
    assert.equal((await fetchThrough(agent, `${origin.url}/item`)).text, 'v1')
    await fetchThrough(agent, `${origin.url}/item`, { method: 'POST' })
    assert.equal((await fetchThrough(agent, `${origin.url}/item`)).text, 'v3')
  })

  it('delivers a body over maxEntrySize whole, and does not store it', async () => {
    const big = 'x'.repeat(64 * 1024)
    const origin = await startOrigin((_req, res) => { res.setHeader('cache-control', 'public, max-age=60'); res.end(big) })
    const { store, reported } = openCacheStore({ dir: tempDir('undici'), maxEntrySize: 1024 })
    const agent = cachingAgent(store)
    assert.equal((await fetchThrough(agent, `${origin.url}/big`)).text, big)
    assert.equal((await fetchThrough(agent, `${origin.url}/big`)).text, big)
    assert.equal(origin.calls('/big'), 2)
    assert.deepEqual(reported, [], 'a size limit is not a failure')
  })

  it('serves from a new store over the same directory after a restart', async () => {
    const dir = tempDir('undici')
    const origin = await startOrigin((req, res, n) => {
      res.setHeader('cache-control', 'public, max-age=600')
      res.setHeader('vary', 'accept-language')
      res.end(`${req.headers['accept-language']} ${n}`)
    })
    const before = new SpillwayCacheStore({ dir, ...SMALL })
    const agentBefore = cachingAgent(before)
    await fetchThrough(agentBefore, `${origin.url}/page`, { headers: { 'accept-language': 'en' } })
    await fetchThrough(agentBefore, `${origin.url}/page`, { headers: { 'accept-language': 'de' } })
    await before.close()
    const { store } = openCacheStore({ dir })
    const agent = cachingAgent(store)
    assert.equal((await fetchThrough(agent, `${origin.url}/page`, { headers: { 'accept-language': 'en' } })).text, 'en 1')
    assert.equal((await fetchThrough(agent, `${origin.url}/page`, { headers: { 'accept-language': 'de' } })).text, 'de 2')
    assert.equal(origin.calls('/page'), 2)
  })

  it('goes back to the origin once the store\'s clock passes deleteAt', async () => {
    const clock = new TestClock()
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, max-age=10'); res.end(`v${n}`) })
    const { store } = openCacheStore({ dir: tempDir('undici'), now: clock.now })
    const agent = cachingAgent(store)
    await fetchThrough(agent, `${origin.url}/t`)
    clock.offset = 5_000
    assert.equal((await fetchThrough(agent, `${origin.url}/t`)).text, 'v1')
    const entry = await store.get({ origin: origin.url, method: 'GET', path: '/t', headers: {} })
    assert.ok(entry)
    clock.offset = entry.deleteAt - Date.now()
    assert.equal((await fetchThrough(agent, `${origin.url}/t`)).text, 'v2')
  })

  it('passes every request through, and says why once, when the store cannot open', async () => {
    const notADir = path.join(tempDir('undici'), 'file')
    fs.writeFileSync(notADir, 'not a directory')
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, max-age=60'); res.end(`v${n}`) })
    const { store, reported } = openCacheStore({ dir: notADir })
    const agent = cachingAgent(store)
    assert.equal((await fetchThrough(agent, `${origin.url}/x`)).text, 'v1')
    assert.equal((await fetchThrough(agent, `${origin.url}/x`)).text, 'v2')
    await assert.rejects(store.ready, (err: Error & { code?: string }) => err.code === 'ERR_NOT_A_DIRECTORY')
    assert.deepEqual(reported.map((r) => r.operation), ['open'])
    assert.equal(store.get({ origin: origin.url, method: 'GET', path: '/x' }), undefined, 'a synchronous miss once the failure is known')
  })

  it('warns once when the store cannot open and no onError listens', async () => {
    const notADir = path.join(tempDir('undici'), 'file')
    fs.writeFileSync(notADir, 'not a directory')
    const warned = once(process, 'warning') as Promise<[Error & { code?: string }]>
    const store = new SpillwayCacheStore({ dir: notADir })
    await assert.rejects(store.ready)
    const [warning] = await warned
    assert.equal(warning.name, 'SpillwayWarning')
    assert.equal(warning.code, 'ERR_NOT_A_DIRECTORY')
    assert.match(warning.message, /passes through uncached/)
  })
})
