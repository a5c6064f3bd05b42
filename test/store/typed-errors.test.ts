/**
 * Bad input gets a SpillwayError with the right code and a message naming
 * the thing, before anything changes (issue 7 §5, "typed errors
 * everywhere"); and what a store refuses, it refuses at once.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore, SpillwayError, type Store } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

function typed(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof SpillwayError, `a SpillwayError, not ${String(err)}`)
    assert.equal(err.code, code)
    assert.match(err.message, message)
    return true
  }
}

async function withStore(options: { admission?: 'second-hit' }, body: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore({ dir: tempDir('typed-errors'), journalBytes: JOURNAL_BYTES, ...options })
  try {
    await body(store)
  } finally {
    await store.close()
  }
}

describe('typed errors', () => {
  it('set options that are not an object, or tags that are not an array, give ERR_VALUE_INVALID', async () => {
    await withStore({}, async (store) => {
      await store.set('k', 'kept')
      await assert.rejects(store.set('k', 'v', null as never), typed('ERR_VALUE_INVALID', /options/))
      await assert.rejects(store.set('k', 'v', 'ttl' as never), typed('ERR_VALUE_INVALID', /options/))
      await assert.rejects(store.set('k', 'v', { tags: null as never }), typed('ERR_VALUE_INVALID', /tags/))
      await assert.rejects(store.set('k', 'v', { tags: 'red' as never }), typed('ERR_VALUE_INVALID', /tags/))
      assert.equal((await store.get('k'))?.toString(), 'kept', 'nothing changed')
    })
  })

  it('a key too large for a journal record gives ERR_KEY_TOO_LARGE naming the key, not the value', async () => {
    await withStore({}, async (store) => {
      await assert.rejects(store.set('k'.repeat(65_000), 'v'), typed('ERR_KEY_TOO_LARGE', /key of 65000 bytes/))
    })
  })

  it('a value too large for a journal names its size and the journal size', async () => {
    await withStore({}, async (store) => {
      await assert.rejects(store.set('k', Buffer.alloc(JOURNAL_BYTES)), typed('ERR_VALUE_TOO_LARGE', /value of 65536 bytes.*65536-byte journal/))
    })
  })

  it('purgeTag of a tag no set could have stored gives ERR_VALUE_TOO_LARGE naming the tag', async () => {
    await withStore({}, async (store) => {
      await assert.rejects(store.purgeTag('t'.repeat(70_000)), typed('ERR_VALUE_TOO_LARGE', /tag of 70000 bytes/))
      await assert.rejects(store.set('k', 'v', { tags: ['t'.repeat(70_000)] }), typed('ERR_VALUE_TOO_LARGE', /tags/))
    })
  })

  it('openStore on a regular file gives ERR_NOT_A_DIRECTORY, and leaves the file alone', async () => {
    const file = path.join(tempDir('typed-errors'), 'file')
    fs.writeFileSync(file, 'not a directory')
    await assert.rejects(openStore({ dir: file }), typed('ERR_NOT_A_DIRECTORY', /file.*not a directory/))
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory')
  })

  it("admission 'second-hit' rejects a value that can never reach disk on its first sighting, not its second", async () => {
    await withStore({ admission: 'second-hit' }, async (store) => {
      const huge = Buffer.alloc(JOURNAL_BYTES)
      await assert.rejects(store.set('big', huge), typed('ERR_VALUE_TOO_LARGE', /value of/))
      assert.equal(await store.get('big'), undefined, 'nothing was kept in the heap tier')
      await assert.rejects(store.set('k'.repeat(65_000), 'v'), typed('ERR_KEY_TOO_LARGE', /key of/))
      await store.set('small', 'fits')
      assert.equal((await store.get('small'))?.toString(), 'fits')
    })
  })
})

describe('close()', () => {
  it('a second close() resolves only once the store is closed: the directory can be opened right after', async () => {
    const dir = tempDir('close-twice')
    const store = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    for (let i = 0; i < 200; i++) await store.set(`k${i}`, Buffer.alloc(1000, i))
    const first = store.close()
    await store.close()
    const reopened = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    assert.equal((await reopened.get('k199'))?.byteLength, 1000)
    await reopened.close()
    await first
  })
})
