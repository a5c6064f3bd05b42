import assert from 'node:assert/strict'
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { tempDir } from '../helpers/temp-dir.js'
import { keyOf, openCacheStore, read, valueOf, writeAll } from './support.js'

/* Stores in several processes over one directory, as SQLite's store is tested with two connections to one file. */

const CHILD = new URL('./writer-child.js', import.meta.url)

async function runWriter(dir: string, path: string, writer: string, count: number): Promise<void> {
  const child = fork(CHILD, [dir, path, writer, String(count)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [code] = await once(child, 'exit') as [number | null]
  assert.equal(code, 0, `writer ${writer} exited ${code}`)
}

describe('SpillwayCacheStore across processes', () => {
  it('serves what another process stored, and forgets what another process deleted', async () => {
    const dir = tempDir('undici')
    const { store, reported } = openCacheStore({ dir })
    await store.ready
    await runWriter(dir, '/shared', 'a', 1)
    const hit = await read(store, keyOf('/shared'))
    assert.equal(hit?.text, 'a'.repeat(8 * 512))
    assert.equal(hit?.headers['x-writer'], 'a')
    const other = openCacheStore({ dir }).store
    await other.ready
    await other.delete(keyOf('/shared'))
    assert.equal(await store.get(keyOf('/shared')), undefined)
    assert.deepEqual(reported, [])
  })

  it('keeps one whole response when two processes write one key at once', async () => {
    const dir = tempDir('undici')
    const { store, reported } = openCacheStore({ dir })
    await writeAll(store.createWriteStream(keyOf('/race'), valueOf(Date.now(), { headers: { 'x-writer': 'parent' } })), ['parent'])
    await Promise.all([runWriter(dir, '/race', 'b', 40), runWriter(dir, '/race', 'c', 40)])
    const hit = await read(store, keyOf('/race'))
    assert.ok(hit)
    const writer = hit.headers['x-writer'] as string
    assert.ok(writer === 'b' || writer === 'c', `a child's response, not ${writer}`)
    assert.equal(hit.headers['x-round'], '39', 'its last')
    assert.equal(hit.text, writer.repeat(8 * 512), 'headers and body of one writer')
    assert.deepEqual(reported, [])
  })
})
