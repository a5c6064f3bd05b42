import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { SpillwayCacheStore } from '../../middleware/undici-store.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'
import { keyOf, openCacheStore as openWith, read, SMALL as SMALL_ANY, TestClock, valueOf, writeAll } from './support.js'

/* undici's CacheStore contract, called directly, as undici's cacheStoreTests() does for its own stores. */

for (const backend of BACKENDS) describe(`SpillwayCacheStore: the CacheStore contract (${backend})`, () => {
  const SMALL = { ...SMALL_ANY, backend }
  const openCacheStore: typeof openWith = (options) => openWith({ backend, ...options })
  it('has get, createWriteStream and delete, and refuses bad input with TypeErrors', async () => {
    for (const method of ['get', 'createWriteStream', 'delete'] as const) assert.equal(typeof SpillwayCacheStore.prototype[method], 'function')
    assert.throws(() => new SpillwayCacheStore(null as never), TypeError)
    assert.throws(() => new SpillwayCacheStore({}), /exactly one of dir and store/)
    assert.throws(() => new SpillwayCacheStore({ dir: tempDir('undici'), maxEntrySize: -1 }), /options\.maxEntrySize must be a non-negative integer/)
    assert.throws(() => new SpillwayCacheStore({ dir: tempDir('undici'), now: 5 as never }), /options\.now must be a function/)
    const badJournal = new SpillwayCacheStore({ dir: tempDir('undici'), journalBytes: 12345, onError: () => {} })
    await assert.rejects(badJournal.ready, /Store options\.journalBytes/)
    const { store } = openCacheStore({ dir: tempDir('undici') })
    assert.throws(() => store.get({ origin: 'x', method: 'GET', path: 1 } as never), /key\.path to be string/)
    assert.throws(() => store.createWriteStream(keyOf('/'), { statusCode: '200' } as never), /value\.statusCode to be number/)
    assert.throws(() => store.delete(null as never), TypeError)
  })

  it('stores a response and gives it back, and keeps two paths apart', async () => {
    const { store } = openCacheStore({ dir: tempDir('undici') })
    await store.ready
    const now = Date.now()
    const value = valueOf(now, { headers: { foo: 'bar', 'set-list': ['a', 'b'] }, etag: '"v1"', cacheControlDirectives: { 'max-age': 10 } })
    assert.equal(store.get(keyOf('/')), undefined, 'a miss is answered synchronously once open')
    await writeAll(store.createWriteStream(keyOf('/'), value), ['asd', Buffer.from('123')])
    const hit = await read(store, structuredClone(keyOf('/')))
    assert.ok(hit)
    assert.equal(hit.text, 'asd123')
    for (const field of ['statusCode', 'statusMessage', 'headers', 'etag', 'cacheControlDirectives', 'cachedAt', 'staleAt', 'deleteAt'] as const) {
      assert.deepEqual(hit[field], value[field], field)
    }
    assert.equal(hit.vary, undefined)
    assert.equal(store.get(keyOf('/asd')), undefined)
    await writeAll(store.createWriteStream(keyOf('/asd'), valueOf(now)), ['other'])
    assert.equal((await read(store, keyOf('/asd')))?.text, 'other')
    assert.equal((await read(store, keyOf('/')))?.text, 'asd123')
    assert.equal(await read(store, keyOf('/', {}, 'HEAD')), undefined, 'the method is part of the key')
  })

  it('answers a get made before the store is open, once it is', async () => {
    const dir = tempDir('undici')
    const first = new SpillwayCacheStore({ dir, ...SMALL })
    await writeAll(first.createWriteStream(keyOf('/early'), valueOf(Date.now())), ['kept'])
    await first.close()
    const { store } = openCacheStore({ dir })
    const pending = store.get(keyOf('/early'))
    assert.ok(pending instanceof Promise, 'a promise while the store opens')
    const result = await pending
    assert.ok(result)
    assert.equal((await read(store, keyOf('/early')))?.text, 'kept')
  })

  it('keeps a response past staleAt and forgets it at deleteAt', async () => {
    const clock = new TestClock()
    const { store } = openCacheStore({ dir: tempDir('undici'), now: clock.now })
    const now = clock.now()
    await writeAll(store.createWriteStream(keyOf('/'), valueOf(now, { staleAt: now + 1000, deleteAt: now + 5000 })), ['asd'])
    clock.offset += 1500
    assert.equal((await read(store, keyOf('/')))?.text, 'asd', 'stale, but before deleteAt')
    clock.offset += 3500
    assert.equal(await store.get(keyOf('/')), undefined, 'at deleteAt')
    await writeAll(store.createWriteStream(keyOf('/past'), valueOf(clock.now(), { deleteAt: clock.now() - 1 })), ['gone'])
    assert.equal(await store.get(keyOf('/past')), undefined, 'a response already past deleteAt is not stored')
  })

  it('overwrites a stale response with a new one', async () => {
    const { store } = openCacheStore({ dir: tempDir('undici') })
    const now = Date.now()
    await writeAll(store.createWriteStream(keyOf('/'), valueOf(now, { headers: { foo: 'bar' } })), ['first'])
    await writeAll(store.createWriteStream(keyOf('/'), valueOf(now + 1, { headers: { foo: 'baz' } })), ['second'])
    const hit = await read(store, keyOf('/'))
    assert.equal(hit?.text, 'second')
    assert.deepEqual(hit?.headers, { foo: 'baz' })
  })

  describe('when the response varies', () => {
    it('gives each request the variant its header values select', async () => {
      const { store } = openCacheStore({ dir: tempDir('undici') })
      const now = Date.now()
      const hello = keyOf('/', { 'some-header': 'hello world' })
      const hello2 = keyOf('/', { 'some-header': 'hello world2' })
      await writeAll(store.createWriteStream(hello, valueOf(now, { vary: { 'some-header': 'hello world' } })), ['one'])
      assert.equal(await store.get(hello2), undefined)
      await writeAll(store.createWriteStream(hello2, valueOf(now, { vary: { 'some-header': 'hello world2' } })), ['two'])
      assert.equal((await read(store, structuredClone(hello)))?.text, 'one')
      const second = await read(store, structuredClone(hello2))
      assert.equal(second?.text, 'two')
      assert.deepEqual(second?.vary, { 'some-header': 'hello world2' })
      assert.equal(await store.get(keyOf('/')), undefined, 'a request without the header matches neither')
    })

    it('skips an expired variant when another is still valid', async () => {
      const clock = new TestClock()
      const { store } = openCacheStore({ dir: tempDir('undici'), now: clock.now })
      const now = clock.now()
      const gzip = keyOf('/', { 'accept-encoding': 'gzip' })
      const br = keyOf('/', { 'accept-encoding': 'br' })
      await writeAll(store.createWriteStream(gzip, valueOf(now, { vary: { 'accept-encoding': 'gzip' }, deleteAt: now + 1000 })), ['gzip'])
      await writeAll(store.createWriteStream(br, valueOf(now, { vary: { 'accept-encoding': 'br' }, deleteAt: now + 60_000 })), ['br'])
      clock.offset += 2000
      assert.equal(await store.get(gzip), undefined)
      assert.equal((await read(store, br))?.text, 'br')
    })

    it('no longer serves a response without Vary once the URL has one that varies', async () => {
      const { store } = openCacheStore({ dir: tempDir('undici') })
      const now = Date.now()
      await writeAll(store.createWriteStream(keyOf('/'), valueOf(now)), ['plain'])
      await writeAll(store.createWriteStream(keyOf('/', { 'accept-language': 'en' }), valueOf(now, { vary: { 'accept-language': 'en' } })), ['english'])
      assert.equal(await store.get(keyOf('/', { 'accept-language': 'fr' })), undefined)
      assert.equal((await read(store, keyOf('/', { 'accept-language': 'en' })))?.text, 'english')
    })
  })

  describe('when a write does not complete', () => {
    it('stores nothing from a stream destroyed before its end', async () => {
      const { store } = openCacheStore({ dir: tempDir('undici') })
      const stream = store.createWriteStream(keyOf('/'), valueOf(Date.now()))!
      stream.write('partial')
      stream.destroy()
      await once(stream, 'close')
      assert.equal(await store.get(keyOf('/')), undefined)
    })

    it('stores nothing from a stream destroyed with an error, and keeps the entry it would have replaced', async () => {
      const { store } = openCacheStore({ dir: tempDir('undici') })
      await writeAll(store.createWriteStream(keyOf('/'), valueOf(Date.now())), ['complete'])
      const stream = store.createWriteStream(keyOf('/'), valueOf(Date.now()))!
      const closed = new Promise((resolve) => stream.on('close', resolve))
      stream.on('error', () => {})
      stream.write('torn')
      stream.destroy(new Error('origin reset'))
      await closed
      assert.equal((await read(store, keyOf('/')))?.text, 'complete')
    })

    it('stores nothing from a body over maxEntrySize, and a body of exactly maxEntrySize', async () => {
      const { store } = openCacheStore({ dir: tempDir('undici'), maxEntrySize: 10 })
      const over = store.createWriteStream(keyOf('/big'), valueOf(Date.now()))!
      over.write('123456')
      over.write('7890X')
      await once(over, 'close')
      assert.equal(over.destroyed, true)
      assert.equal(over.errored, null, 'destroyed without an error, so undici keeps the URL\'s other entries')
      assert.equal(await store.get(keyOf('/big')), undefined)
      await writeAll(store.createWriteStream(keyOf('/fits'), valueOf(Date.now())), ['12345', '67890'])
      assert.equal((await read(store, keyOf('/fits')))?.text, '1234567890')
    })
  })

  describe('delete', () => {
    it('forgets every method and every variant of the URL, and nothing of another', async () => {
      const { store } = openCacheStore({ dir: tempDir('undici') })
      const now = Date.now()
      const en = keyOf('/doc', { lang: 'en' })
      const de = keyOf('/doc', { lang: 'de' })
      await writeAll(store.createWriteStream(en, valueOf(now, { vary: { lang: 'en' } })), ['en'])
      await writeAll(store.createWriteStream(de, valueOf(now, { vary: { lang: 'de' } })), ['de'])
      await writeAll(store.createWriteStream(keyOf('/doc', {}, 'HEAD'), valueOf(now)), [])
      await writeAll(store.createWriteStream(keyOf('/other'), valueOf(now)), ['other'])
      await store.delete(keyOf('/doc', {}, 'POST'))
      assert.equal(await store.get(en), undefined)
      assert.equal(await store.get(de), undefined)
      assert.equal(await store.get(keyOf('/doc', {}, 'HEAD')), undefined)
      assert.equal((await read(store, keyOf('/other')))?.text, 'other')
      // A new response for one variant starts afresh: the other variant from before the delete stays gone.
      await writeAll(store.createWriteStream(en, valueOf(now, { vary: { lang: 'en' } })), ['en again'])
      assert.equal((await read(store, en))?.text, 'en again')
      assert.equal(await store.get(de), undefined)
    })

    it('applies a delete made before the store is open before any later get', async () => {
      const dir = tempDir('undici')
      const first = new SpillwayCacheStore({ dir, ...SMALL })
      await writeAll(first.createWriteStream(keyOf('/'), valueOf(Date.now())), ['old'])
      await first.close()
      const { store } = openCacheStore({ dir })
      const deleted = store.delete(keyOf('/'))
      assert.equal(await store.get(keyOf('/')), undefined)
      await deleted
    })
  })

  it('keeps one whole response when several writes for one key finish together', async () => {
    const { store } = openCacheStore({ dir: tempDir('undici') })
    await store.ready
    const now = Date.now()
    const streams = Array.from({ length: 8 }, (_, n) => store.createWriteStream(keyOf('/race'), valueOf(now, { headers: { 'x-writer': String(n) } }))!)
    // Interleaved chunks: each stream's body is its number repeated, so a mix would show.
    for (let round = 0; round < 4; round++) for (const [n, stream] of streams.entries()) stream.write(String(n).repeat(100))
    const finished = streams.map((stream) => once(stream, 'finish'))
    const order = [3, 0, 7, 1, 6, 2, 5, 4]
    for (const n of order) streams[n].end()
    await Promise.all(finished)
    const hit = await read(store, keyOf('/race'))
    assert.ok(hit)
    const writer = hit.headers['x-writer'] as string
    assert.equal(hit.text, writer.repeat(400), 'headers and body of one writer')
    assert.equal(writer, String(order.at(-1)), 'the last to finish wins')
  })

  it('keeps its entries across a restart', async () => {
    const dir = tempDir('undici')
    const now = Date.now()
    const first = new SpillwayCacheStore({ dir, ...SMALL })
    await writeAll(first.createWriteStream(keyOf('/p', { lang: 'en' }), valueOf(now, { vary: { lang: 'en' }, etag: '"e"' })), ['persisted'])
    await first.close()
    assert.equal(first.get(keyOf('/p', { lang: 'en' })), undefined, 'a closed store misses')
    assert.equal(first.createWriteStream(keyOf('/p'), valueOf(now)), undefined, 'and stores nothing')
    const { store } = openCacheStore({ dir })
    const hit = await read(store, keyOf('/p', { lang: 'en' }))
    assert.equal(hit?.text, 'persisted')
    assert.equal(hit?.etag, '"e"')
    assert.equal(await store.get(keyOf('/p', { lang: 'de' })), undefined)
  })
})
