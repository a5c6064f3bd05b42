import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

describe("admission 'second-hit'", () => {
  it('keeps a first sighting in the heap tier only, and writes the second to disk', async () => {
    const dir = tempDir('admission')
    const store = await openStore({ dir, journalBytes: 64 * 1024, admission: 'second-hit' })
    await assert.rejects(store.set('bad-tags', 'v', { tags: [''] }), { code: 'ERR_VALUE_INVALID' }, 'checked even for a heap-only write')
    assert.equal(await store.get('bad-tags'), undefined)
    await store.set('once', 'heap only')
    await store.set('twice', 'first')
    await store.set('twice', 'second')
    assert.equal((await store.get('once'))!.toString(), 'heap only', 'served from the heap tier')
    assert.equal((await store.get('twice'))!.toString(), 'second')
    const stats = store.stats()
    assert.equal(stats.admission.diskWritesSaved, 2)
    assert.equal(stats.disk.entries, 1)
    const keys = []
    for await (const key of store.keys()) keys.push(key)
    assert.deepEqual(keys.sort(), ['once', 'twice'])
    await store.close()
    const reopened = await openStore({ dir, journalBytes: 64 * 1024, admission: 'second-hit' })
    assert.equal(await reopened.get('once'), undefined, 'a heap-only entry does not outlive the process')
    assert.equal((await reopened.get('twice'))!.toString(), 'second')
    await reopened.close()
  })

  it('a key already on disk is always rewritten there, so no stale value can resurface', async () => {
    const dir = tempDir('admission-stale')
    const store = await openStore({ dir, journalBytes: 64 * 1024, admission: 'second-hit', admissionWindow: 16 })
    await store.set('k', 'v1')
    await store.set('k', 'v2')
    // Age the doorkeeper until it has forgotten k.
    for (let i = 0; i < 64; i++) await store.set(`filler-${i}`, 'x')
    await store.set('k', 'v3')
    await store.close()
    const reopened = await openStore({ dir, journalBytes: 64 * 1024 })
    assert.equal((await reopened.get('k'))!.toString(), 'v3')
    await reopened.close()
  })
})
