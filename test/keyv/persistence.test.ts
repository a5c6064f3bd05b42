/**
 * What Keyv stores through KeyvSpillway outlives the store: a reopen of the
 * directory finds it; a TTL reaches the store, which drops the entry itself;
 * calls made while the store is still opening wait for it.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { tempDir } from '../helpers/temp-dir.js'
import { openKeyv } from './keyv-helpers.js'

describe('KeyvSpillway persistence', () => {
  it('keeps what Keyv set across a disconnect and a new store over the directory', async () => {
    const dir = tempDir('keyv-persist')
    const first = openKeyv(dir)
    assert.equal(await first.keyv.set('user:1', { name: 'Ada', langs: ['en', 'fr'] }), true)
    assert.equal(await first.keyv.set('greeting', 'héllo'), true)
    assert.equal(await first.keyv.set('count', 42), true)
    await first.keyv.disconnect()

    const second = openKeyv(dir)
    assert.deepEqual(await second.keyv.get('user:1'), { name: 'Ada', langs: ['en', 'fr'] })
    assert.equal(await second.keyv.get('greeting'), 'héllo')
    assert.equal(await second.keyv.get('count'), 42)
    assert.deepEqual(second.errors, [])
  })

  it('lets calls made before the store is open wait for it, in the order they came, and keeps every one', async () => {
    const dir = tempDir('keyv-early')
    const { keyv, adapter, errors } = openKeyv(dir)
    // Not awaited one by one: all are issued while the store is still opening.
    const sets = Array.from({ length: 50 }, (_, i) => keyv.set(`k${i}`, i))
    // Straight to the adapter: Keyv itself reaches the store later for a set (it serializes first) than for a get.
    const write = adapter.set('direct', 'first')
    const read = adapter.get('direct')
    assert.deepEqual(await Promise.all(sets), Array(50).fill(true))
    await write
    assert.equal(await read, 'first', 'a get that came after a set, both before the open, sees the set')
    await adapter.disconnect()

    const reopened = openKeyv(dir)
    const values = await reopened.keyv.get(Array.from({ length: 50 }, (_, i) => `k${i}`))
    assert.deepEqual(values, Array.from({ length: 50 }, (_, i) => i))
    assert.deepEqual(errors, [])
  })

  it('passes a TTL to the store, which drops the entry when it expires, before and after a reopen', async () => {
    const dir = tempDir('keyv-ttl')
    let clock = 1_000_000
    const now = () => clock
    const { keyv, adapter } = openKeyv(dir, { now })
    await keyv.set('short', 'gone soon', 1000)
    await keyv.set('long', 'stays', 60_000)
    const stored = await adapter.get('keyv:short') as string
    assert.equal(JSON.parse(stored).value, 'gone soon', 'the store holds Keyv\'s serialized string under the prefixed key')
    clock += 1001
    // Asked of the adapter, not of Keyv: Keyv checks its own `expires` with the real clock, which has not moved.
    assert.equal(await adapter.get('keyv:short'), undefined, 'the store dropped the expired entry itself')
    assert.equal(await adapter.has('keyv:short'), false)
    assert.notEqual(await adapter.get('keyv:long'), undefined)
    await adapter.disconnect()

    const reopened = openKeyv(dir, { now })
    assert.equal(await reopened.adapter.get('keyv:short'), undefined, 'and it stays dropped after a reopen')
    assert.equal(await reopened.keyv.get('long'), 'stays')
  })

  it('keeps an entry set again after a clear, across a reopen: the clear covers only what came before it', async () => {
    const dir = tempDir('keyv-clear-again')
    const first = openKeyv(dir)
    await first.keyv.set('a', 'before')
    await first.keyv.set('b', 'before')
    await first.keyv.clear()
    await first.keyv.set('a', 'after')
    assert.equal(await first.keyv.get('a'), 'after')
    assert.equal(await first.keyv.get('b'), undefined)
    await first.keyv.disconnect()

    const second = openKeyv(dir)
    assert.equal(await second.keyv.get('a'), 'after')
    assert.equal(await second.keyv.get('b'), undefined)
  })
})
