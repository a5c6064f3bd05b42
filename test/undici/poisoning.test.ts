import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { openStore, type Store } from '../../src/index.js'
import { decodeMarker, encodeResponse } from '../../middleware/undici/entry-codec.js'
import { markerKey, requestValue, variantKey } from '../../middleware/undici/keys.js'
import type { CacheKey } from '../../middleware/undici/contract.js'
import { tempDir } from '../helpers/temp-dir.js'
import { cachingAgent, fetchThrough, keyOf, openCacheStore, read, SMALL, startOrigin, valueOf, writeAll } from './support.js'

/* What an attacker (or a confused writer) could try, and the outcome: a miss, never someone else's response. */

async function rawStore(): Promise<Store> {
  const store = await openStore({ dir: tempDir('undici'), ...SMALL })
  after(() => store.close())
  return store
}

/** The key the variant `key` selects lives under, as the adapter derives it from the URL's marker. */
function variantKeyOf(store: Store, key: CacheKey): string {
  const base = markerKey(key)!
  const marker = decodeMarker(store.getSync(base)!)!
  return variantKey(base, marker.generation, marker.fields, (field) => requestValue(key.headers, field))
}

describe('a response that varies on a header', () => {
  it('is never served to a request whose value differs in any way', async () => {
    const origin = await startOrigin((req, res) => {
      res.setHeader('cache-control', 'public, max-age=600')
      res.setHeader('vary', 'x-tenant')
      res.end(`for ${JSON.stringify(req.headers['x-tenant'] ?? null)}`)
    })
    const { store } = openCacheStore({ dir: tempDir('undici') })
    const agent = cachingAgent(store)
    assert.equal((await fetchThrough(agent, `${origin.url}/account`, { headers: { 'x-tenant': 'acme' } })).text, 'for "acme"')
    const others: Array<Record<string, string | string[]>> = [
      { 'x-tenant': 'Acme' }, { 'x-tenant': 'acme2' }, { 'x-tenant': 'acm' }, { 'x-tenant': '' }, {}, { 'x-tenant': ['acme', 'evil'] },
    ]
    for (const headers of others) {
      const calls = origin.calls('/account')
      const res = await fetchThrough(agent, `${origin.url}/account`, { headers })
      assert.notEqual(res.text, 'for "acme"', `${JSON.stringify(headers)} must not get acme's response`)
      assert.equal(origin.calls('/account'), calls + 1, `${JSON.stringify(headers)} goes to the origin`)
    }
    const calls = origin.calls('/account')
    assert.equal((await fetchThrough(agent, `${origin.url}/account`, { headers: { 'x-tenant': 'acme' } })).text, 'for "acme"')
    assert.equal(origin.calls('/account'), calls, 'acme itself is still a hit')
  })

  it('is not served by a variant entry copied under another variant\'s key', async () => {
    const store = await rawStore()
    const { store: cache, reported } = openCacheStore({ store })
    const now = Date.now()
    const victim = keyOf('/me', { cookie: 'session=victim' })
    const attacker = keyOf('/me', { cookie: 'session=attacker' })
    await writeAll(cache.createWriteStream(victim, valueOf(now, { vary: { cookie: 'session=victim' } })), ['victim data'])
    await writeAll(cache.createWriteStream(attacker, valueOf(now, { vary: { cookie: 'session=attacker' } })), ['attacker data'])
    // As a digest collision would: the victim's entry under the key the attacker's request selects.
    await store.set(variantKeyOf(store, attacker), store.getSync(variantKeyOf(store, victim))!)
    assert.equal(await cache.get(attacker), undefined)
    assert.equal((await read(cache, victim))?.text, 'victim data')
    assert.deepEqual(reported, [])
  })
})

describe('a malformed entry under one of the adapter\'s keys', () => {
  it('is a miss, reported, when it sits under a URL\'s marker key; the next response replaces it', async () => {
    const store = await rawStore()
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, max-age=600'); res.end(`v${n}`) })
    const { store: cache, reported } = openCacheStore({ store })
    const agent = cachingAgent(cache)
    const key: CacheKey = { origin: origin.url, method: 'GET', path: '/m', headers: {} }
    await store.set(markerKey(key)!, 'not a marker')
    assert.equal(await cache.get(key), undefined)
    assert.equal(reported.length, 1)
    assert.equal(reported[0].operation, 'get')
    assert.equal((reported[0].error as Error & { code?: string }).code, 'ERR_VALUE_INVALID')
    assert.equal((await fetchThrough(agent, `${origin.url}/m`)).text, 'v1')
    assert.equal((await fetchThrough(agent, `${origin.url}/m`)).text, 'v1')
    assert.equal(origin.calls('/m'), 1)
  })

  for (const [what, damage] of [
    ['raw bytes', (_entry: Buffer) => Buffer.from('raw bytes, no header')],
    ['a truncated entry', (entry: Buffer) => entry.subarray(0, entry.byteLength - 3)],
    ['an entry with bytes added', (entry: Buffer) => Buffer.concat([entry, Buffer.from('<script>')])],
    ['an entry of an unknown version', (entry: Buffer) => { const copy = Buffer.from(entry); copy[4] = 99; return copy }],
    ['an entry whose JSON is cut', (entry: Buffer) => { const copy = Buffer.from(entry); copy.writeUInt32LE(copy.readUInt32LE(6) - 1, 6); return copy }],
  ] as const) {
    it(`is a miss, reported, when a variant's key holds ${what}`, async () => {
      const store = await rawStore()
      const { store: cache, reported } = openCacheStore({ store })
      const key = keyOf('/v', { lang: 'en' })
      await writeAll(cache.createWriteStream(key, valueOf(Date.now(), { vary: { lang: 'en' } })), ['the body'])
      const at = variantKeyOf(store, key)
      await store.set(at, damage(store.getSync(at)!))
      assert.equal(await cache.get(key), undefined)
      assert.deepEqual(reported.map((r) => r.operation), ['get'])
    })
  }

  it('is a miss when a well-formed entry for another URL sits under this URL\'s key', async () => {
    const store = await rawStore()
    const { store: cache, reported } = openCacheStore({ store })
    const now = Date.now()
    await writeAll(cache.createWriteStream(keyOf('/public'), valueOf(now)), ['public'])
    await store.set(variantKeyOf(store, keyOf('/public')), encodeResponse(keyOf('/private'), valueOf(now), [Buffer.from('private')], 7))
    assert.equal(await cache.get(keyOf('/public')), undefined)
    assert.equal(reported.length, 1)
  })
})

describe('a failing store', () => {
  it('never fails a request: reads, writes and deletes pass through, each failure reported', async () => {
    const store = await openStore({ dir: tempDir('undici'), ...SMALL })
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, max-age=600'); res.end(`v${n}`) })
    const { store: cache, reported } = openCacheStore({ store })
    const agent = cachingAgent(cache)
    assert.equal((await fetchThrough(agent, `${origin.url}/f`)).text, 'v1')
    await store.close()
    assert.equal((await fetchThrough(agent, `${origin.url}/f`)).text, 'v2')
    assert.equal((await fetchThrough(agent, `${origin.url}/f`, { method: 'DELETE' })).status, 200)
    const operations = new Set(reported.map((r) => r.operation))
    assert.deepEqual([...operations].sort(), ['delete', 'get', 'write'])
    for (const { error } of reported) assert.equal((error as Error & { code?: string }).code, 'ERR_STORE_CLOSED')
  })

  it('never fails a request when the onError hook itself throws', async () => {
    const store = await openStore({ dir: tempDir('undici'), ...SMALL })
    const origin = await startOrigin((_req, res, n) => { res.setHeader('cache-control', 'public, max-age=600'); res.end(`v${n}`) })
    const { SpillwayCacheStore } = await import('../../middleware/undici-store.js')
    const cache = new SpillwayCacheStore({ store, onError: () => { throw new Error('hook failed') } })
    const agent = cachingAgent(cache)
    await store.close()
    assert.equal((await fetchThrough(agent, `${origin.url}/h`)).text, 'v1')
    assert.equal((await fetchThrough(agent, `${origin.url}/h`)).text, 'v2')
  })
})
