/**
 * Keyv namespaces over one spillway directory: each Keyv's keys, clear() and
 * iterator() are its own, and stay so across a reopen; a Keyv without a
 * namespace clears everything the adapter stored, and nothing else.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'
import { JOURNAL_BYTES, openKeyv } from './keyv-helpers.js'

async function entriesOf(iterator: AsyncGenerator<[string, unknown]> | undefined): Promise<Array<[string, unknown]>> {
  assert.ok(iterator !== undefined, 'Keyv gives the store an iterator')
  const seen: Array<[string, unknown]> = []
  for await (const entry of iterator) seen.push(entry)
  return seen.sort(([a], [b]) => a.localeCompare(b))
}

describe('KeyvSpillway namespaces', () => {
  it('keeps two namespaces over one directory apart: get, delete, clear and iterator', async () => {
    const dir = tempDir('keyv-ns')
    const users = openKeyv(dir, {}, { namespace: 'users' })
    const posts = openKeyv(dir, {}, { namespace: 'posts' })
    await users.keyv.set('1', 'Ada')
    await users.keyv.set('2', 'Grace')
    await posts.keyv.set('1', 'Hello')
    await posts.keyv.set('3', 'World')
    assert.equal(await users.keyv.get('1'), 'Ada')
    assert.equal(await posts.keyv.get('1'), 'Hello')

    assert.deepEqual(await entriesOf(users.keyv.iterator?.(undefined)), [['1', 'Ada'], ['2', 'Grace']])
    assert.deepEqual(await entriesOf(posts.keyv.iterator?.(undefined)), [['1', 'Hello'], ['3', 'World']])

    assert.equal(await posts.keyv.delete('1'), true)
    assert.equal(await users.keyv.get('1'), 'Ada', 'a delete in one namespace leaves the other')

    await users.keyv.clear()
    assert.deepEqual(await users.keyv.get(['1', '2']), [undefined, undefined])
    assert.equal(await posts.keyv.get('3'), 'World', 'a clear in one namespace leaves the other')
    await users.keyv.disconnect()
    await posts.keyv.disconnect()

    const usersAgain = openKeyv(dir, {}, { namespace: 'users' })
    const postsAgain = openKeyv(dir, {}, { namespace: 'posts' })
    assert.deepEqual(await usersAgain.keyv.get(['1', '2']), [undefined, undefined], 'the clear outlives the store')
    assert.deepEqual(await entriesOf(postsAgain.keyv.iterator?.(undefined)), [['3', 'World']])
  })

  it('clears, without a namespace, every entry the adapter stored in any namespace, and leaves the store\'s other entries', async () => {
    const dir = tempDir('keyv-clear-all')
    const raw = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    try {
      await raw.set('not-keyv', 'mine')
      const named = openKeyv(dir, {}, { namespace: 'a' })
      const plain = openKeyv(dir, {}, { namespace: undefined })
      await named.keyv.set('x', 1)
      await plain.keyv.set('y', 2)
      assert.equal(plain.adapter.namespace, undefined)
      await plain.keyv.clear()
      assert.equal(await named.keyv.get('x'), undefined)
      assert.equal(await plain.keyv.get('y'), undefined)
      assert.equal((await raw.get('not-keyv'))?.toString(), 'mine', 'an entry another user of the directory wrote stays')
    } finally {
      await raw.close()
    }
  })
})
