/**
 * Serializers: values come back as the type they went in, through a real
 * store and a reopen; a value a serializer cannot encode is refused with
 * ERR_SERIALIZE and nothing is stored; an entry that cannot be decoded is
 * reported and read as a miss, never returned wrong.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openCache, openStore, SpillwayError, type CacheErrorContext, type SerializerName } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

const isCode = (code: string) => (err: unknown) => err instanceof SpillwayError && err.code === code

/** Sets each value, reads it back, reopens the directory and reads it again. */
async function roundTrip(serializer: SerializerName, values: unknown[]): Promise<unknown[][]> {
  const dir = tempDir('client-serializer')
  let cache = await openCache<unknown>({ dir, serializer, durability: 'none' })
  const read: unknown[][] = values.map(() => [])
  for (const [i, value] of values.entries()) {
    await cache.set(`k${i}`, value)
    read[i].push(await cache.get(`k${i}`))
  }
  await cache.close()
  cache = await openCache<unknown>({ dir, serializer, durability: 'none' })
  for (const r of read) r.push(undefined)
  const again = await cache.getMany(values.map((_, i) => `k${i}`))
  again.forEach((value, i) => { read[i][1] = value })
  await cache.close()
  return read
}

const cyclic = (): unknown => {
  const node: Record<string, unknown> = { name: 'loop' }
  node.self = node
  return node
}

const STRUCTURED = [
  new Date(1_700_000_000_123),
  new Map<unknown, unknown>([['a', 1], [2, { b: [3] }]]),
  new Set(['x', 'y']),
  Buffer.from('bytes\u0000here'),
  new Uint8Array([1, 2, 3]),
  123n,
  2n ** 80n,
  { nested: { date: new Date(0), list: [1, 'two', null, true] } },
  'ünïcödé',
  -1.5,
  NaN,
  null,
  [undefined, 1],
]

describe('serializers', () => {
  it('raw gives back a Buffer, a string or a Uint8Array as it went in', async () => {
    const values = [Buffer.from([0, 255, 7]), 'text ✓', new Uint8Array([9, 8]), Buffer.alloc(0), '']
    for (const [i, [now, reopened]] of (await roundTrip('raw', values)).entries()) {
      for (const back of [now, reopened]) {
        assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(values[i]), `value ${i} keeps its type`)
        assert.deepEqual(back, values[i])
      }
    }
  })

  it('json gives back JSON values', async () => {
    const values = [{ a: 1, b: [true, null, 'x'], c: { d: -0.25 } }, [1, 2], 'str', 42, false, null]
    for (const [i, [now, reopened]] of (await roundTrip('json', values)).entries()) {
      assert.deepEqual(now, values[i])
      assert.deepEqual(reopened, values[i])
    }
  })

  for (const serializer of ['v8', 'msgpack'] as const) {
    it(`${serializer} gives back Dates, Maps, Sets, Buffers, typed arrays, BigInts and cycles`, async () => {
      for (const [i, [now, reopened]] of (await roundTrip(serializer, [...STRUCTURED, cyclic()])).entries()) {
        const expected = i < STRUCTURED.length ? STRUCTURED[i] : cyclic()
        for (const back of [now, reopened]) {
          assert.deepStrictEqual(back, expected, `value ${i}`)
          if (expected !== null && typeof expected === 'object') assert.equal(Object.getPrototypeOf(back), Object.getPrototypeOf(expected), `value ${i} keeps its type`)
        }
      }
    })
  }

  it('the default serializer gives back structured values (msgpack)', async () => {
    const dir = tempDir('client-serializer')
    const value = { when: new Date(5), seen: new Map([['a', 1n]]) }
    const cache = await openCache<typeof value>({ dir, durability: 'none' })
    await cache.set('k', value)
    assert.deepStrictEqual(await cache.get('k'), value)
    await cache.close()
    const msgpack = await openCache<typeof value>({ dir, durability: 'none', serializer: 'msgpack' })
    assert.deepStrictEqual(await msgpack.get('k'), value)
    await msgpack.close()
  })

  it('a custom serializer is used both ways', async () => {
    const cache = await openCache<{ id: number }>({
      dir: tempDir('client-serializer'), durability: 'none',
      serializer: { encode: (v) => `id=${v.id}`, decode: (bytes) => ({ id: Number(bytes.toString().slice(3)) }) },
    })
    await cache.set('u', { id: 41 })
    assert.deepEqual(await cache.get('u'), { id: 41 })
    await cache.close()
  })

  const REFUSED: Array<[SerializerName, string, () => unknown]> = [
    ['json', 'a BigInt', () => ({ n: 1n })],
    ['json', 'a cycle', cyclic],
    ['json', 'a Date', () => ({ when: new Date() })],
    ['json', 'a Map', () => new Map([[1, 2]])],
    ['json', 'NaN', () => [NaN]],
    ['json', 'a function', () => () => 1],
    ['json', 'undefined in an array', () => [undefined]],
    ['json', 'a class instance', () => new (class Point { x = 1 })()],
    ['v8', 'a function', () => ({ f() {} })],
    ['v8', 'a symbol', () => Symbol('s')],
    ['msgpack', 'a function', () => ({ f() {} })],
    ['msgpack', 'a symbol', () => [Symbol('s')]],
    ['raw', 'an object', () => ({ a: 1 })],
    ['raw', 'a number', () => 5],
  ]
  for (const [serializer, what, make] of REFUSED) {
    it(`${serializer} refuses ${what} with ERR_SERIALIZE and stores nothing, keeping the previous value`, async () => {
      const cache = await openCache<unknown>({ dir: tempDir('client-serializer'), serializer, durability: 'none' })
      const previous = serializer === 'raw' ? 'before' : { before: true }
      await cache.set('k', previous)
      await assert.rejects(cache.set('k', make()), isCode('ERR_SERIALIZE'))
      await assert.rejects(cache.setMany([{ key: 'other', value: 'x' as unknown }, { key: 'k', value: make() }].map((e) => serializer === 'raw' ? e : { ...e, value: e.key === 'k' ? make() : { x: 1 } })), isCode('ERR_SERIALIZE'))
      assert.deepEqual(await cache.get('k'), previous)
      assert.equal(await cache.has('other'), false, 'setMany checks every entry before it writes one')
      await cache.close()
    })
  }

  it('reads an entry written with another serializer, or by a plain Store.set, as a miss and reports it', async () => {
    const dir = tempDir('client-serializer')
    const json = await openCache<unknown>({ dir, serializer: 'json', durability: 'none' })
    await json.set('k', { a: 1 })
    await json.close()
    const reports: CacheErrorContext[] = []
    const v8 = await openCache<unknown>({ dir, serializer: 'v8', durability: 'none', onError: (err, context) => {
      assert.ok(err instanceof SpillwayError && err.code === 'ERR_DESERIALIZE')
      reports.push(context)
    } })
    assert.equal(await v8.get('k'), undefined)
    await v8.store.set('/plain', 'not an envelope')
    assert.equal(await v8.get('plain'), undefined)
    assert.equal(await v8.getOrSet('plain', () => 'loaded'), 'loaded', 'a getOrSet over an undecodable entry loads and replaces it')
    assert.equal(await v8.get('plain'), 'loaded')
    // The getOrSet looks twice (before and after it takes the key's lease), and may report each look.
    assert.deepEqual(reports.slice(0, 3).map((r) => [r.operation, r.key]), [['decode', 'k'], ['decode', 'plain'], ['decode', 'plain']])
    assert.ok(reports.slice(3).every((r) => r.operation === 'decode' && r.key === 'plain'))
    await v8.close()
  })

  it('reads bytes its serializer refuses to decode as a miss, reported, never a wrong value', async () => {
    const dir = tempDir('client-serializer')
    const store = await openStore({ dir, durability: 'none' })
    const reports: string[] = []
    const { Cache } = await import('../../src/index.js')
    const cache = new Cache<unknown>(store, { serializer: 'json', onError: (err) => reports.push((err as SpillwayError).code) })
    await cache.set('k', { a: 1 })
    // Damage the payload behind a valid envelope header: the JSON no longer parses.
    const stored = Buffer.from(store.getSync('/k')!)
    stored.write('}{', stored.length - 2)
    await store.set('/k', stored)
    assert.equal(await cache.get('k'), undefined)
    assert.deepEqual(await cache.getMany(['k']), [undefined])
    assert.deepEqual(reports, ['ERR_DESERIALIZE', 'ERR_DESERIALIZE'])
    await store.close()
  })
})
