/**
 * Bad input through Keyv: bad options are refused at construction; a store
 * that cannot open, a value or key the store refuses, and a closed store
 * reach Keyv's `error` event with a typed SpillwayError; and nothing already
 * stored is lost.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore, SpillwayError } from '../../src/index.js'
import { KeyvSpillway } from '../../src/adapters/keyv.js'
import { tempDir } from '../helpers/temp-dir.js'
import { codeOf, JOURNAL_BYTES, openKeyv } from './keyv-helpers.js'

describe('KeyvSpillway bad input', () => {
  it('refuses bad options at construction with a TypeError naming the option', () => {
    assert.throws(() => new KeyvSpillway(null as never), { name: 'TypeError', message: /Store options must be an object/ })
    assert.throws(() => new KeyvSpillway({ dir: '' }), { name: 'TypeError', message: /options\.dir/ })
    assert.throws(() => new KeyvSpillway({ dir: tempDir('keyv-opts'), journalBytes: 3 }), { name: 'TypeError', message: /options\.journalBytes/ })
    assert.throws(() => new KeyvSpillway({ dir: tempDir('keyv-opts'), durability: 'often' as never }), { name: 'TypeError', message: /options\.durability/ })
  })

  it('reports a directory that cannot be opened through the error event, and answers as a cache with nothing in it', async () => {
    const file = path.join(tempDir('keyv-not-dir'), 'a-file')
    fs.writeFileSync(file, 'not a directory')
    const { keyv, adapter, errors } = openKeyv(file)
    await assert.rejects(adapter.ready(), (err: unknown) => err instanceof SpillwayError && err.code === 'ERR_NOT_A_DIRECTORY')
    assert.equal(await keyv.set('k', 'v'), false)
    assert.equal(await keyv.get('k'), undefined)
    assert.equal(await keyv.has('k'), false)
    assert.ok(errors.length >= 2, `the open failure and the set each emitted; got ${errors.length}`)
    for (const err of errors) assert.equal(codeOf(err), 'ERR_NOT_A_DIRECTORY')
    assert.equal(fs.readFileSync(file, 'utf8'), 'not a directory', 'the file in the way is untouched')
  })

  it('reports a directory open elsewhere with other settings (ERR_OPTIONS_CONFLICT), and the other store keeps its entries', async () => {
    const dir = tempDir('keyv-conflict')
    const other = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    try {
      await other.set('kept', 'yes')
      const { keyv, errors } = openKeyv(dir, { journalBytes: 2 * JOURNAL_BYTES })
      assert.equal(await keyv.set('k', 'v'), false)
      assert.equal(codeOf(errors[0]), 'ERR_OPTIONS_CONFLICT')
      assert.equal((await other.get('kept'))?.toString(), 'yes')
    } finally {
      await other.close()
    }
  })

  it('refuses, through the error event, a value, key or TTL the store cannot take, and keeps the previous value', async () => {
    const { keyv, errors } = openKeyv(tempDir('keyv-refused'))
    await keyv.set('k', 'kept')
    assert.equal(await keyv.set('k', 'x'.repeat(JOURNAL_BYTES)), false)
    assert.equal(codeOf(errors.at(-1)), 'ERR_VALUE_TOO_LARGE')
    assert.equal(await keyv.set('k', 'v', -5), false)
    assert.equal(codeOf(errors.at(-1)), 'ERR_VALUE_INVALID')
    assert.equal(await keyv.set('k'.repeat(70_000), 'v'), false)
    assert.equal(codeOf(errors.at(-1)), 'ERR_KEY_TOO_LARGE')
    assert.equal(await keyv.get('k'), 'kept')
    assert.equal(errors.length, 3)
  })

  it('refuses values that are not strings (Keyv with its serialization turned off), in a batch too, and keeps the previous values', async () => {
    const dir = tempDir('keyv-unserialized')
    const { keyv, adapter } = openKeyv(dir)
    await keyv.set('k', 'kept')
    await keyv.set('j', 'kept too')
    const raw = openKeyv(dir, {}, { serialize: undefined, deserialize: undefined })
    assert.equal(await raw.keyv.set('k', { an: 'object' }), false)
    assert.equal(codeOf(raw.errors[0]), 'ERR_VALUE_INVALID')
    assert.match((raw.errors[0] as Error).message, /serialized strings; got object/)
    await assert.rejects(adapter.setMany([{ key: 'keyv:j', value: 'fine' }, { key: 'keyv:k', value: 7 }]), { code: 'ERR_VALUE_INVALID' })
    assert.deepEqual(await keyv.get(['k', 'j']), ['kept', 'kept too'], 'the batch changed nothing')
  })

  it('fails calls after disconnect with ERR_STORE_CLOSED through the error event, and a reopen has everything', async () => {
    const dir = tempDir('keyv-closed')
    const { keyv, errors } = openKeyv(dir)
    await keyv.set('k', 'v')
    await keyv.disconnect()
    assert.equal(await keyv.set('k', 'lost'), false)
    assert.equal(await keyv.get('k'), undefined)
    assert.equal(await keyv.delete('k'), false)
    await keyv.clear()
    assert.deepEqual(errors.map(codeOf), ['ERR_STORE_CLOSED', 'ERR_STORE_CLOSED', 'ERR_STORE_CLOSED', 'ERR_STORE_CLOSED'])
    const reopened = openKeyv(dir)
    assert.equal(await reopened.keyv.get('k'), 'v')
  })

  it('does not throw an unheard error: used without Keyv and without a listener, a failed open answers misses', async () => {
    const file = path.join(tempDir('keyv-bare'), 'a-file')
    fs.writeFileSync(file, '')
    const adapter = new KeyvSpillway({ dir: file })
    assert.equal(await adapter.get('k'), undefined)
    assert.deepEqual(await adapter.hasMany(['k']), [false])
    await assert.rejects(adapter.set('k', 'v'), { code: 'ERR_NOT_A_DIRECTORY' })
    await adapter.disconnect()
  })
})
