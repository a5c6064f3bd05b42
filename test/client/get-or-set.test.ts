/**
 * getOrSet in one process: one loader per key for concurrent callers, what
 * a failed or empty load does, stale-while-revalidate and stale-if-error on
 * an injected clock, and writes that overtake a load under way.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { Cache, openCache, openStore, SpillwayError, type CacheErrorContext } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

const START = 1_700_000_000_000

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void; reject(err: unknown): void } {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
  return { promise, resolve, reject }
}

async function clockCache<T>(serializer: 'json' | 'v8' = 'json') {
  const clock = { now: START }
  const errors: Array<{ error: Error; context: CacheErrorContext }> = []
  const cache = await openCache<T>({
    dir: tempDir('client'), serializer, durability: 'none', now: () => clock.now,
    onError: (error, context) => errors.push({ error, context }),
  })
  return { cache, clock, errors }
}

describe('getOrSet', () => {
  it('runs one loader for concurrent callers of one key, and serves the stored value after', async () => {
    const { cache } = await clockCache<{ n: number }>()
    const gate = deferred<{ n: number }>()
    let calls = 0
    const loader = () => { calls++; return gate.promise }
    const waiting = once(cache.events, 'waiting')
    const first = cache.getOrSet('k', loader)
    const others = Array.from({ length: 9 }, () => cache.getOrSet('k', loader))
    assert.deepEqual(await waiting, ['k', 'here'])
    gate.resolve({ n: 7 })
    assert.deepEqual(await Promise.all([first, ...others]), Array(10).fill({ n: 7 }))
    assert.equal(calls, 1)
    assert.deepEqual(await cache.getOrSet('k', () => { throw new Error('must not load') }), { n: 7 })
    assert.deepEqual(await cache.get('k'), { n: 7 })
    await cache.close()
  })

  it('rejects every waiter with the loader error and stores nothing', async () => {
    const { cache } = await clockCache<string>()
    const gate = deferred<string>()
    const boom = new Error('origin down')
    const calls = Array.from({ length: 5 }, () => cache.getOrSet('k', () => gate.promise))
    gate.reject(boom)
    for (const call of calls) await assert.rejects(call, (err) => err === boom)
    assert.equal(await cache.get('k'), undefined)
    assert.equal(cache.store.has('/k'), false)
    // The next call loads again.
    assert.equal(await cache.getOrSet('k', () => 'back'), 'back')
    await cache.close()
  })

  it('rejects with a loader that throws synchronously, and stores nothing', async () => {
    const { cache } = await clockCache<string>()
    await assert.rejects(cache.getOrSet('k', () => { throw new RangeError('sync') }), RangeError)
    assert.equal(await cache.has('k'), false)
    await cache.close()
  })

  it('returns undefined from a loader that gives undefined, and stores nothing', async () => {
    const { cache } = await clockCache<string | undefined>()
    assert.equal(await cache.getOrSet('k', () => undefined), undefined)
    assert.equal(cache.store.has('/k'), false)
    assert.equal(await cache.getOrSet('k', async () => 'now'), 'now')
    await cache.close()
  })

  it('rejects with ERR_SERIALIZE for a loaded value its serializer refuses, and stores nothing', async () => {
    const { cache } = await clockCache<unknown>('json')
    await assert.rejects(cache.getOrSet('k', () => ({ big: 1n })), (err: unknown) => err instanceof SpillwayError && err.code === 'ERR_SERIALIZE' && /"k"/.test(err.message))
    assert.equal(cache.store.has('/k'), false)
    await cache.close()
  })

  it('loads again once the ttl has passed, with no stale window', async () => {
    const { cache, clock } = await clockCache<number>()
    assert.equal(await cache.getOrSet('k', () => 1, { ttl: 1000 }), 1)
    clock.now += 999
    assert.equal(await cache.getOrSet('k', () => 2, { ttl: 1000 }), 1)
    clock.now += 1
    assert.equal(await cache.get('k'), undefined)
    assert.equal(await cache.getOrSet('k', () => 2, { ttl: 1000 }), 2)
    await cache.close()
  })

  it('serves a stale value within staleWhileRevalidate while one background refresh runs', async () => {
    const { cache, clock } = await clockCache<string>()
    const options = { ttl: 1000, staleWhileRevalidate: 5000 }
    await cache.getOrSet('k', () => 'v1', options)
    clock.now += 2000
    assert.equal(await cache.get('k'), undefined, 'get serves only fresh values')
    const gate = deferred<string>()
    let refreshes = 0
    const refresher = () => { refreshes++; return gate.promise }
    const started = once(cache.events, 'refresh')
    assert.equal(await cache.getOrSet('k', refresher, options), 'v1')
    await started
    assert.equal(await cache.getOrSet('k', refresher, options), 'v1')
    assert.equal(await cache.getOrSet('k', refresher, options), 'v1')
    const refreshed = once(cache.events, 'refreshed')
    gate.resolve('v2')
    assert.deepEqual(await refreshed, ['k'])
    assert.equal(refreshes, 1)
    assert.equal(await cache.getOrSet('k', refresher, options), 'v2')
    assert.equal(await cache.get('k'), 'v2')
    await cache.close()
  })

  it('reports a failed background refresh to onError, keeps serving stale, and never leaves it unhandled', async () => {
    const { cache, clock, errors } = await clockCache<string>()
    const options = { ttl: 1000, staleWhileRevalidate: 5000 }
    await cache.getOrSet('k', () => 'v1', options)
    clock.now += 1500
    const refreshed = once(cache.events, 'refreshed')
    assert.equal(await cache.getOrSet('k', async () => { throw new Error('refresh failed') }, options), 'v1')
    const [, error] = await refreshed
    assert.equal((error as Error).message, 'refresh failed')
    assert.equal(errors.length, 1)
    assert.deepEqual(errors[0].context, { operation: 'refresh', key: 'k', namespace: '' })
    assert.equal(await cache.getOrSet('k', () => 'v2', options), 'v1', 'still stale: a refresh starts again in the background')
    await once(cache.events, 'refreshed')
    assert.equal(await cache.get('k'), 'v2')
    await cache.close()
  })

  it('past staleWhileRevalidate, a caller waits for the load', async () => {
    const { cache, clock } = await clockCache<string>()
    await cache.getOrSet('k', () => 'v1', { ttl: 1000, staleWhileRevalidate: 500 })
    clock.now += 1500
    assert.equal(await cache.getOrSet('k', () => 'v2', { ttl: 1000 }), 'v2')
    await cache.close()
  })

  it('serves the stale value within staleIfError when the loader throws, to every waiter', async () => {
    const { cache, clock } = await clockCache<string>()
    const options = { ttl: 1000, staleIfError: 10_000 }
    await cache.getOrSet('k', () => 'v1', options)
    clock.now += 5000
    const gate = deferred<string>()
    const calls = Array.from({ length: 4 }, () => cache.getOrSet('k', () => gate.promise, options))
    gate.reject(new Error('origin down'))
    assert.deepEqual(await Promise.all(calls), Array(4).fill('v1'))
    // Nothing stored from the failed load: the entry is still the stale v1.
    assert.equal(await cache.get('k'), undefined)
    clock.now += 6000
    await assert.rejects(cache.getOrSet('k', () => { throw new Error('still down') }, options), /still down/)
    await cache.close()
  })

  it('a waiter without a staleIfError window rejects when the leader\'s load fails, one with it serves stale', async () => {
    const { cache, clock } = await clockCache<string>()
    await cache.set('k', 'v1', { ttl: 1000, staleIfError: 10_000 })
    clock.now += 2000
    const gate = deferred<string>()
    const withWindow = cache.getOrSet('k', () => gate.promise)
    const plain = cache.getOrSet('k', () => gate.promise)
    gate.reject(new Error('down'))
    assert.equal(await withWindow, 'v1')
    assert.equal(await plain, 'v1', 'the stored entry carries the window, whoever asks')
    await cache.close()
  })

  it('does not store a loaded value over a set, delete or clear made while the loader ran', async () => {
    const { cache } = await clockCache<string>()
    const ns = cache.namespace('n')
    for (const overtake of [
      () => cache.set('k', 'set meanwhile'),
      () => cache.delete('k'),
      () => cache.purgeTag('t'),
    ]) {
      const gate = deferred<string>()
      const load = cache.getOrSet('k', () => gate.promise, { tags: ['t'] })
      await overtake()
      gate.resolve('old')
      assert.equal(await load, 'old', 'the caller still gets what it loaded')
      assert.notEqual(await cache.get('k'), 'old')
      await cache.delete('k')
    }
    const gate = deferred<string>()
    const load = ns.getOrSet('k', () => gate.promise)
    await ns.clear()
    gate.resolve('old')
    assert.equal(await load, 'old')
    assert.equal(await ns.get('k'), undefined)
    await cache.close()
  })

  it('a cache over a store it was given leaves the store open at close', async () => {
    const store = await openStore({ dir: tempDir('client'), durability: 'none' })
    const cache = new Cache<string>(store, { serializer: 'raw' })
    assert.equal(await cache.getOrSet('k', () => 'v'), 'v')
    await cache.close()
    assert.equal(store.has('/k'), true)
    await store.close()
  })
})
