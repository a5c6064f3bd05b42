/**
 * KeyvSpillway as a store of cache-manager 7 (`createCache({ stores })`):
 * get/set/mget/mset/del/ttl/wrap work through it, alone or behind an
 * in-memory Keyv, and a new cache over the directory finds what the last one
 * stored.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import Keyv from 'keyv'
import { createCache } from 'cache-manager'
import { KeyvSpillway } from '../../src/adapters/keyv.js'
import { tempDir } from '../helpers/temp-dir.js'
import { JOURNAL_BYTES } from './keyv-helpers.js'

function spillwayKeyv(dir: string): Keyv {
  return new Keyv({ store: new KeyvSpillway({ dir, journalBytes: JOURNAL_BYTES }) })
}

describe('KeyvSpillway as a cache-manager store', () => {
  it('serves get, set, mget, mset, del and ttl, and a new cache over the directory finds the entries', async () => {
    const dir = tempDir('keyv-cache-manager')
    const cache = createCache({ stores: [spillwayKeyv(dir)] })
    const before = Date.now()
    assert.deepEqual(await cache.set('user:1', { name: 'Ada' }, 60_000), { name: 'Ada' })
    await cache.mset([{ key: 'a', value: 1 }, { key: 'b', value: 2 }])
    await cache.set('gone', 'soon')
    assert.equal(await cache.del('gone'), true)
    assert.deepEqual(await cache.get('user:1'), { name: 'Ada' })
    assert.deepEqual(await cache.mget(['a', 'b', 'none']), [1, 2, undefined])
    const expires = await cache.ttl('user:1')
    assert.ok(expires !== undefined && expires >= before + 60_000 && expires <= Date.now() + 60_000, `ttl() gives the expiry: ${expires}`)
    await cache.disconnect()

    const again = createCache({ stores: [spillwayKeyv(dir)] })
    try {
      assert.deepEqual(await again.get('user:1'), { name: 'Ada' })
      assert.deepEqual(await again.mget(['a', 'b', 'gone']), [1, 2, undefined])
      assert.equal(await again.clear(), true)
      assert.equal(await again.get('a'), undefined)
    } finally {
      await again.disconnect()
    }
  })

  it('runs a wrap loader once, and not at all in the next process, behind an in-memory tier', async () => {
    const dir = tempDir('keyv-cache-manager-wrap')
    let loads = 0
    const load = async () => ({ rendered: `page ${++loads}` })
    const cache = createCache({ stores: [new Keyv(), spillwayKeyv(dir)] })
    assert.deepEqual(await cache.wrap('page', load, 60_000), { rendered: 'page 1' })
    assert.deepEqual(await cache.wrap('page', load, 60_000), { rendered: 'page 1' })
    assert.equal(loads, 1)
    await cache.disconnect()

    const next = createCache({ stores: [new Keyv(), spillwayKeyv(dir)] })
    try {
      assert.equal(await next.stores[0].get('page'), undefined, 'the memory tier starts empty')
      assert.deepEqual(await next.wrap('page', load, 60_000), { rendered: 'page 1' })
      assert.equal(loads, 1, 'the loader did not run again: the value came from spillway')
      assert.deepEqual(await next.stores[0].get('page'), { rendered: 'page 1' }, 'and it refilled the memory tier')
    } finally {
      await next.disconnect()
    }
  })
})
