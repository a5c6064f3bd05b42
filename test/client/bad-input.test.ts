/**
 * Bad input to the client, as a careless or hostile caller would give it:
 * each call rejects with a SpillwayError whose code and message name the
 * thing, changes nothing, and loses nothing already stored. Bad options to
 * openCache reject with a TypeError and leave the directory unlocked.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Cache, openCache, SpillwayError } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

const code = (expected: string, message?: RegExp) => (err: unknown) =>
  err instanceof SpillwayError && err.code === expected && (message === undefined || message.test(err.message))

async function withCache(fn: (cache: Cache<unknown>) => Promise<void>): Promise<void> {
  const cache = await openCache<unknown>({ dir: tempDir('client-bad'), serializer: 'v8', durability: 'none', journalBytes: 64 * 1024 })
  await cache.set('kept', { precious: true })
  await cache.namespace('ns').set('kept', 'in ns')
  await fn(cache)
  assert.deepEqual(await cache.get('kept'), { precious: true }, 'nothing stored is lost')
  assert.equal(await cache.namespace('ns').get('kept'), 'in ns')
  await cache.close()
}

const BAD_KEYS: unknown[] = [undefined, null, 5, {}, ['k'], Symbol('k'), '', '\ud800x', Buffer.from('k')]

describe('bad input to the client', () => {
  it('refuses bad keys in every call with ERR_KEY_INVALID', () => withCache(async (cache) => {
    for (const key of BAD_KEYS) {
      const k = key as string
      const what = typeof key === 'symbol' ? 'symbol' : String(key)
      await assert.rejects(cache.get(k), code('ERR_KEY_INVALID', /key/), `get ${what}`)
      await assert.rejects(cache.has(k), code('ERR_KEY_INVALID'), `has ${what}`)
      await assert.rejects(cache.set(k, 'v'), code('ERR_KEY_INVALID'), `set ${what}`)
      await assert.rejects(cache.delete(k), code('ERR_KEY_INVALID'), `delete ${what}`)
      let loaded = false
      await assert.rejects(cache.getOrSet(k, () => { loaded = true; return 'v' }), code('ERR_KEY_INVALID'), `getOrSet ${what}`)
      assert.equal(loaded, false)
      await assert.rejects(cache.getMany(['kept', k]), code('ERR_KEY_INVALID'), `getMany ${what}`)
      await assert.rejects(cache.deleteMany(['kept', k]), code('ERR_KEY_INVALID'), `deleteMany ${what}`)
      await assert.rejects(cache.setMany([{ key: 'kept', value: 'overwritten' }, { key: k, value: 'v' }]), code('ERR_KEY_INVALID'), `setMany ${what}`)
    }
    await assert.rejects(cache.getMany('kept' as unknown as string[]), code('ERR_KEY_INVALID', /array of keys/))
    await assert.rejects(cache.deleteMany(null as unknown as string[]), code('ERR_KEY_INVALID'))
  }))

  it('refuses a key too long for the store with ERR_KEY_TOO_LARGE', () => withCache(async (cache) => {
    await assert.rejects(cache.set('k'.repeat(70_000), 'v'), code('ERR_KEY_TOO_LARGE'))
    await assert.rejects(cache.getOrSet('k'.repeat(70_000), () => 'v'), code('ERR_KEY_TOO_LARGE'))
  }))

  it('refuses a loader that is not a function with ERR_VALUE_INVALID', () => withCache(async (cache) => {
    for (const loader of [undefined, null, 'fn', 5, { call: () => 1 }, Promise.resolve(1)]) {
      await assert.rejects(cache.getOrSet('kept', loader as never), code('ERR_VALUE_INVALID', /getOrSet loader must be a function/))
      await assert.rejects(cache.getOrSet('new', loader as never), code('ERR_VALUE_INVALID'))
    }
    assert.equal(await cache.has('new'), false)
  }))

  it('refuses bad options with ERR_VALUE_INVALID naming the option', () => withCache(async (cache) => {
    const bad: Array<[unknown, RegExp]> = [
      [null, /options must be an object/], ['ttl', /options must be an object/], [5, /options must be an object/],
      [{ ttl: -1 }, /options\.ttl/], [{ ttl: 0 }, /options\.ttl/], [{ ttl: NaN }, /options\.ttl/], [{ ttl: Infinity }, /options\.ttl/], [{ ttl: '5' }, /options\.ttl/],
      [{ ttl: 10, staleWhileRevalidate: -1 }, /staleWhileRevalidate/], [{ ttl: 10, staleIfError: 'x' }, /staleIfError/],
      [{ staleWhileRevalidate: 10 }, /needs options\.ttl/], [{ staleIfError: 10 }, /needs options\.ttl/],
      [{ tags: 'red' }, /tags must be an array/], [{ tags: [''] }, /tag/], [{ tags: ['a\u0000b'] }, /tag/], [{ tags: [5] }, /tag/], [{ tags: ['\udc00'] }, /tag/],
    ]
    for (const [options, message] of bad) {
      await assert.rejects(cache.set('kept', 'overwritten', options as never), code('ERR_VALUE_INVALID', message), JSON.stringify(options))
      await assert.rejects(cache.getOrSet('new', () => 'v', options as never), code('ERR_VALUE_INVALID', message))
      if (options !== null && typeof options === 'object') {
        await assert.rejects(cache.setMany([{ key: 'kept', value: 'overwritten', ...options }]), code('ERR_VALUE_INVALID', message))
      }
    }
    assert.equal(await cache.has('new'), false)
  }))

  it('refuses undefined as a value, and bad setMany entries', () => withCache(async (cache) => {
    await assert.rejects(cache.set('kept', undefined), code('ERR_VALUE_INVALID', /undefined/))
    await assert.rejects(cache.setMany('entries' as never), code('ERR_VALUE_INVALID', /setMany takes an array/))
    await assert.rejects(cache.setMany([{ key: 'a', value: 1 }, null as never]), code('ERR_VALUE_INVALID', /setMany entry 1/))
    await assert.rejects(cache.setMany([{ key: 'a', value: 1 }, { key: 'kept', value: undefined }]), code('ERR_VALUE_INVALID'))
    assert.equal(await cache.has('a'), false)
  }))

  it('refuses bad tags to purgeTag', () => withCache(async (cache) => {
    for (const tag of ['', null, 5, 'a\u0000']) await assert.rejects(cache.purgeTag(tag as string), code('ERR_VALUE_INVALID', /tag/))
  }))

  it('refuses a value too large for a journal with the store\'s ERR_VALUE_TOO_LARGE, keeping the previous value', () => withCache(async (cache) => {
    await assert.rejects(cache.set('kept', Buffer.alloc(100_000)), code('ERR_VALUE_TOO_LARGE'))
  }))

  it('returns a loaded value too large to store, reporting it', async () => {
    const reports: string[] = []
    const cache = await openCache<Buffer>({
      dir: tempDir('client-bad'), serializer: 'raw', durability: 'none', journalBytes: 64 * 1024,
      onError: (err, context) => reports.push(`${context.operation} ${context.key} ${(err as SpillwayError).code}`),
    })
    const big = Buffer.alloc(100_000, 1)
    assert.equal(await cache.getOrSet('big', () => big), big)
    assert.deepEqual(reports, ['store big ERR_VALUE_TOO_LARGE'])
    await cache.close()
  })

  it('passes a loader\'s rejection that is not an Error to every waiter', () => withCache(async (cache) => {
    const calls = [cache.getOrSet('x', () => Promise.reject('a string')), cache.getOrSet('x', () => 'unused')]
    for (const call of calls) await assert.rejects(call, (err) => err === 'a string')
  }))

  it('treats a serializer that returns no bytes, or throws, as ERR_SERIALIZE', async () => {
    for (const encode of [() => 5, () => null, () => { throw new Error('nope') }]) {
      const cache = await openCache<unknown>({ dir: tempDir('client-bad'), durability: 'none', serializer: { encode: encode as never, decode: () => 1 } })
      await assert.rejects(cache.set('k', 1), code('ERR_SERIALIZE'))
      assert.equal(cache.store.has('/k'), false)
      await cache.close()
    }
  })

  it('rejects with ERR_STORE_CLOSED after close', async () => {
    const cache = await openCache<unknown>({ dir: tempDir('client-bad'), durability: 'none' })
    await cache.close()
    await assert.rejects(cache.get('k'), code('ERR_STORE_CLOSED'))
    await assert.rejects(cache.getOrSet('k', () => 1), code('ERR_STORE_CLOSED'))
    await assert.rejects(cache.set('k', 1), code('ERR_STORE_CLOSED'))
  })

  it('rejects bad openCache options with a TypeError naming the option, and leaves the directory unlocked', async () => {
    const dir = tempDir('client-bad')
    const bad: Array<[object, RegExp]> = [
      [{ serializer: 'yaml' }, /options\.serializer/], [{ serializer: { encode: () => '' } }, /options\.serializer/], [{ serializer: null }, /options\.serializer/],
      [{ leaseMs: 0 }, /options\.leaseMs/], [{ leaseMs: 1.5 }, /options\.leaseMs/], [{ onError: 'log' }, /options\.onError/],
      [{ maxHeapBytes: -1 }, /options\.maxHeapBytes/],
    ]
    for (const [options, message] of bad) await assert.rejects(openCache({ dir, ...options } as never), (err) => err instanceof TypeError && message.test(err.message))
    await assert.rejects(openCache(null as never), TypeError)
    for (const store of [undefined, {}, { leases: {} }]) assert.throws(() => new Cache(store as never), /Cache needs an open Store/)
    const cache = await openCache({ dir, durability: 'none' })
    await cache.close()
  })
})
