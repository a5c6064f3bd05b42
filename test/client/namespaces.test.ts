/**
 * Namespaces: keys and tags of one never reach another's or the root's,
 * whatever characters their names and keys hold; clear() and purgeTag()
 * stay inside their namespace; nested namespaces are cleared with their
 * parent; batches work in a namespace.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openCache, SpillwayError } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'

async function cache() {
  return openCache<string>({ dir: tempDir('client-ns'), serializer: 'json', durability: 'none' })
}

async function allKeys(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = []
  for await (const key of keys) all.push(key)
  return all
}

describe('namespaces', () => {
  it('keep their keys apart from each other and from the root', async () => {
    const root = await cache()
    const a = root.namespace('a')
    const b = root.namespace('b')
    await root.set('k', 'root')
    await a.set('k', 'a')
    await b.set('k', 'b')
    assert.deepEqual([await root.get('k'), await a.get('k'), await b.get('k')], ['root', 'a', 'b'])
    await a.delete('k')
    assert.deepEqual([await root.get('k'), await a.get('k'), await b.get('k')], ['root', undefined, 'b'])
    await root.close()
  })

  it('cannot be made to collide by separators in names or keys', async () => {
    const root = await cache()
    const pairs: Array<[string[], string]> = [
      [['a'], 'b:x'], [['a:b'], 'x'], [['a', 'b'], 'x'], [['a'], 'b/x'], [['a/b'], 'x'], [['a.b'], 'x'], [['a'], '1.b/x'],
      [[], '1.a/b:x'], [[], 'a:b:x'], [[], '/x'], [['1.a'], 'x'], [['a1.b'], 'x'], [['3'], 'x'], [['3.a:'], 'bx'],
    ]
    const view = (path: string[]) => path.reduce((c, name) => c.namespace(name), root)
    for (const [i, [path, key]] of pairs.entries()) await view(path).set(key, `value ${i}`)
    for (const [i, [path, key]] of pairs.entries()) assert.equal(await view(path).get(key), `value ${i}`, `${path.join('>')} / ${key}`)
    assert.equal([...new Set(await allKeys(root.store.keys()))].length, pairs.length, 'one stored key each')
    await root.close()
  })

  it('clear() deletes only its own entries and its nested namespaces\'', async () => {
    const root = await cache()
    const a = root.namespace('a')
    const ab = a.namespace('b')
    const other = root.namespace('a:b')
    const sibling = root.namespace('ab')
    await root.setMany([{ key: 'k', value: 'root' }, { key: 'a/k', value: 'root slash' }])
    await a.setMany([{ key: 'k1', value: 'a' }, { key: 'k2', value: 'a', tags: ['t'] }])
    await ab.set('k', 'ab')
    await other.set('k', 'other')
    await sibling.set('k', 'sibling')
    assert.equal(await a.clear(), 3)
    assert.deepEqual(await a.getMany(['k1', 'k2']), [undefined, undefined])
    assert.equal(await ab.get('k'), undefined)
    assert.deepEqual([await root.get('k'), await root.get('a/k'), await other.get('k'), await sibling.get('k')], ['root', 'root slash', 'other', 'sibling'])
    // A namespace cleared is usable again.
    await a.set('k1', 'again')
    assert.equal(await a.get('k1'), 'again')
    await root.close()
  })

  it('clear() of one of two nested namespaces leaves the other and the parent', async () => {
    const root = await cache()
    const a = root.namespace('a')
    await a.set('k', 'a')
    await a.namespace('x').set('k', 'ax')
    await a.namespace('y').set('k', 'ay')
    assert.equal(await a.namespace('x').clear(), 1)
    assert.deepEqual([await a.get('k'), await a.namespace('x').get('k'), await a.namespace('y').get('k')], ['a', undefined, 'ay'])
    await root.close()
  })

  it('purgeTag is scoped to its namespace, and a caller\'s tag never matches a namespace\'s', async () => {
    const root = await cache()
    const a = root.namespace('a')
    const b = root.namespace('b')
    await root.set('k', 'root', { tags: ['red'] })
    await a.set('k', 'a', { tags: ['red'] })
    await b.set('k', 'b', { tags: ['red'] })
    // Tags that look like the stored forms of namespace tags and of other namespaces' tags.
    await root.set('n', 'root n', { tags: ['n1.a', '1.a/red', 't1.a/red'] })
    assert.equal(await a.purgeTag('red'), 1)
    assert.deepEqual([await root.get('k'), await a.get('k'), await b.get('k'), await root.get('n')], ['root', undefined, 'b', 'root n'])
    assert.equal(await root.purgeTag('n1.a'), 1)
    assert.equal(await root.purgeTag('red'), 1)
    assert.equal(await b.get('k'), 'b')
    await root.close()
  })

  it('root clear() deletes every cache entry, leaving keys a plain store wrote', async () => {
    const root = await cache()
    await root.set('k', 'root')
    await root.namespace('a').set('k', 'a')
    await root.store.set('plain', 'store only')
    assert.equal(await root.clear(), 2)
    assert.equal(root.store.getSync('plain')?.toString(), 'store only')
    assert.deepEqual(await allKeys(root.store.keys()), ['plain'])
    await root.close()
  })

  it('refuses bad names with ERR_KEY_INVALID', async () => {
    const root = await cache()
    for (const name of ['', 'x'.repeat(257), '\ud800', 5, null, undefined, {}]) {
      assert.throws(() => root.namespace(name as string), (err) => err instanceof SpillwayError && err.code === 'ERR_KEY_INVALID', String(name))
    }
    assert.throws(() => root.namespace(''), /namespace name/)
    await root.close()
  })
})
