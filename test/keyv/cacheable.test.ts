/**
 * KeyvSpillway as the secondary store of `cacheable` 2 (its in-memory
 * CacheableMemory primary in front): what one process set is there for the
 * next, after the first was killed, and comes back through the primary.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import Keyv from 'keyv'
import { Cacheable, KeyvCacheableMemory } from 'cacheable'
import { KeyvSpillway } from '../../src/adapters/keyv.js'
import { tempDir } from '../helpers/temp-dir.js'
import { JOURNAL_BYTES, openKeyv } from './keyv-helpers.js'

const WRITER = fileURLToPath(new URL('./fixtures/cacheable-writer.js', import.meta.url))

/** Runs fixtures/cacheable-writer.js on `dir` until it is killed, having set its entries. */
async function runWriter(dir: string): Promise<void> {
  const child = spawn(process.execPath, [WRITER, dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
  const [code, signal] = await once(child, 'exit') as [number | null, NodeJS.Signals | null]
  assert.equal(out, 'set\n')
  assert.equal(signal, 'SIGKILL', `the writer was killed, not closed (exit code ${code})`)
}

function cacheableOver(dir: string, namespace: string): { cache: Cacheable; adapter: KeyvSpillway } {
  const adapter = new KeyvSpillway({ dir, journalBytes: JOURNAL_BYTES })
  const cache = new Cacheable({ namespace, primary: new Keyv({ store: new KeyvCacheableMemory() }), secondary: new Keyv({ store: adapter }) })
  return { cache, adapter }
}

describe('KeyvSpillway as the secondary store of cacheable', () => {
  it('keeps what a killed process set, for a new Cacheable over the directory, and refills the primary from it', async () => {
    const dir = tempDir('keyv-cacheable')
    await runWriter(dir)

    const { cache, adapter } = cacheableOver(dir, 'app')
    try {
      assert.equal(await cache.primary.get('user:1'), undefined, 'a new process starts with an empty primary')
      assert.deepEqual(await cache.get('user:1'), { name: 'Ada', langs: ['en', 'fr'] })
      assert.deepEqual(await cache.primary.get('user:1'), { name: 'Ada', langs: ['en', 'fr'] }, 'the secondary\'s hit refilled the primary')
      assert.equal(await cache.get('plain'), 'value')
      assert.equal(await cache.get('doomed'), undefined, 'the delete reached the secondary too')
      assert.equal(await cache.has('plain'), true)
    } finally {
      await cache.disconnect()
    }
    await assert.rejects(adapter.set('x', 'y'), { code: 'ERR_STORE_CLOSED' }, 'disconnect closed the store')
  })

  it('shows another process\'s sets and deletes to a Keyv that has the directory open meanwhile', async () => {
    const dir = tempDir('keyv-cacheable-shared')
    const { keyv } = openKeyv(dir, {}, { namespace: 'app' })
    await keyv.set('doomed', 'set here first')
    // Read twice: the second read promotes it into this process's heap tier, which the other's delete must reach too.
    for (let i = 0; i < 2; i++) assert.equal(await keyv.get('doomed'), 'set here first')
    await runWriter(dir)
    assert.equal(await keyv.get('plain'), 'value')
    assert.deepEqual(await keyv.get('user:1'), { name: 'Ada', langs: ['en', 'fr'] })
    assert.equal(await keyv.get('doomed'), undefined, 'the other process\'s delete reached this one')
  })

  it('keeps two Cacheable namespaces over one directory apart, clear included', async () => {
    const dir = tempDir('keyv-cacheable-ns')
    const a = cacheableOver(dir, 'a')
    const b = cacheableOver(dir, 'b')
    try {
      await a.cache.set('k', 'from a')
      await b.cache.set('k', 'from b')
      await a.cache.clear()
      assert.equal(await a.cache.get('k'), undefined)
      assert.equal(await b.cache.get('k'), 'from b')
      await b.cache.primary.clear()
      assert.equal(await b.cache.get('k'), 'from b', 'from the secondary, the primary cleared')
    } finally {
      await a.cache.disconnect()
      await b.cache.disconnect()
    }
  })
})
