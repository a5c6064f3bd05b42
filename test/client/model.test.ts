/**
 * The client against a plain Map, over random sequences of operations in
 * several namespaces (nested, and named to tempt collisions): set with and
 * without a ttl on an injected clock, getOrSet (the loader must run exactly
 * when the model has no fresh value), get, getMany, delete, deleteMany,
 * namespace clear, scoped purgeTag, the clock moving, and reopening the
 * directory. Each run draws a fresh seed and prints it; SPILLWAY_SEED=n
 * replays one.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openCache, type Cache } from '../../src/index.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { tempDir } from '../helpers/temp-dir.js'

const RANDOM_RUNS = 8
const OPS = 150
const KEYS = ['k', 'b:x', 'x', '1.a/x', '/', 'ünï', '3.a:b/x']
/** Namespace paths; [] is the root. */
const PATHS: string[][] = [[], ['a'], ['a', 'b'], ['a:b'], ['b']]
const TAGS = ['red', 'blue']
const SERIALIZERS = ['json', 'v8', 'msgpack'] as const

interface ModelEntry {
  value: unknown
  expiresAt: number
  tags: string[]
}

const modelKey = (path: number, key: string) => `${path}\u0000${key}`
/** Whether namespace `inner` is `outer` or nested in it. */
const within = (inner: string[], outer: string[]) => outer.length <= inner.length && outer.every((name, i) => inner[i] === name)

async function runModel(seed: number, log: string[]): Promise<void> {
  const random = seededRandom(seed)
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  const serializer = pick(SERIALIZERS)
  const dir = tempDir('client-model')
  const clock = { now: 1_700_000_000_000 }
  const open = () => openCache<unknown>({ dir, serializer, durability: 'none', journalBytes: 256 * 1024, now: () => clock.now })
  let cache = await open()
  const model = new Map<string, ModelEntry>()
  log.push(`seed ${seed}, serializer ${serializer}`)
  const view = (path: number): Cache<unknown> => PATHS[path].reduce((c, name) => c.namespace(name), cache)
  const fresh = (path: number, key: string) => {
    const entry = model.get(modelKey(path, key))
    return entry === undefined || (entry.expiresAt !== 0 && entry.expiresAt <= clock.now) ? undefined : entry
  }
  let counter = 0
  const newValue = () => (random() < 0.5 ? { n: ++counter, list: [counter, 'x'] } : `value ${++counter}`)

  for (let op = 0; op < OPS; op++) {
    const path = Math.floor(random() * PATHS.length)
    const key = pick(KEYS)
    const c = view(path)
    const roll = random()
    const where = `op ${op} ${PATHS[path].join('>') || 'root'}/${key}`
    if (roll < 0.2) {
      const value = newValue()
      const ttl = random() < 0.4 ? 1 + Math.floor(random() * 1000) : undefined
      const tags = TAGS.filter(() => random() < 0.4)
      log.push(`${where}: set ${JSON.stringify(value)} ttl ${ttl} tags ${tags}`)
      await c.set(key, value, { ttl, tags })
      model.set(modelKey(path, key), { value, expiresAt: ttl === undefined ? 0 : clock.now + ttl, tags })
    } else if (roll < 0.4) {
      const value = newValue()
      const ttl = random() < 0.4 ? 1 + Math.floor(random() * 1000) : undefined
      const expected = fresh(path, key)
      let loaded = false
      log.push(`${where}: getOrSet (model ${expected === undefined ? 'miss' : 'hit'})`)
      const got = await c.getOrSet(key, () => { loaded = true; return value }, { ttl })
      assert.equal(loaded, expected === undefined, `${where}: the loader runs exactly on a miss`)
      assert.deepEqual(got, expected === undefined ? value : expected.value, where)
      if (expected === undefined) model.set(modelKey(path, key), { value, expiresAt: ttl === undefined ? 0 : clock.now + ttl, tags: [] })
    } else if (roll < 0.55) {
      log.push(`${where}: get`)
      assert.deepEqual(await c.get(key), fresh(path, key)?.value, where)
    } else if (roll < 0.62) {
      const keys = KEYS.filter(() => random() < 0.5)
      log.push(`${where}: getMany ${keys}`)
      assert.deepEqual(await c.getMany(keys), keys.map((k) => fresh(path, k)?.value), where)
    } else if (roll < 0.72) {
      log.push(`${where}: delete`)
      const had = fresh(path, key) !== undefined
      const deleted = await c.delete(key)
      // A stale entry the store still keeps counts as held; the model has forgotten whether it does.
      if (had) assert.equal(deleted, true, where)
      model.delete(modelKey(path, key))
    } else if (roll < 0.77) {
      const keys = KEYS.filter(() => random() < 0.3)
      log.push(`${where}: deleteMany ${keys}`)
      await c.deleteMany(keys)
      for (const k of keys) model.delete(modelKey(path, k))
    } else if (roll < 0.82) {
      log.push(`${where}: clear`)
      await c.clear()
      for (const k of [...model.keys()]) if (within(PATHS[Number(k.split('\u0000')[0])], PATHS[path])) model.delete(k)
    } else if (roll < 0.87) {
      const tag = pick(TAGS)
      log.push(`${where}: purgeTag ${tag}`)
      await c.purgeTag(tag)
      for (const [k, entry] of [...model]) if (Number(k.split('\u0000')[0]) === path && entry.tags.includes(tag)) model.delete(k)
    } else if (roll < 0.95) {
      const by = Math.floor(random() * 600)
      log.push(`${where}: clock +${by}`)
      clock.now += by
    } else {
      log.push(`${where}: reopen`)
      await cache.close()
      cache = await open()
    }
  }
  // Everything the model holds fresh is there, in every namespace, after a last reopen.
  await cache.close()
  cache = await open()
  for (let path = 0; path < PATHS.length; path++) {
    assert.deepEqual(await view(path).getMany(KEYS), KEYS.map((k) => fresh(path, k)?.value), `final ${PATHS[path].join('>')}`)
  }
  await cache.close()
}

describe('the client against a Map', () => {
  const fixed = process.env.SPILLWAY_SEED === undefined ? undefined : Number(process.env.SPILLWAY_SEED)
  const seeds = fixed !== undefined ? [fixed] : Array.from({ length: RANDOM_RUNS }, () => Math.floor(Math.random() * 2 ** 32))
  for (const seed of seeds) {
    it(`agrees with the model, seed ${seed}`, async (t) => {
      t.diagnostic(`replay with SPILLWAY_SEED=${seed}`)
      const log: string[] = []
      try {
        await runModel(seed, log)
      } catch (err) {
        t.diagnostic(`the last operations:\n${log.slice(-15).join('\n')}`)
        throw err
      }
    })
  }
})
