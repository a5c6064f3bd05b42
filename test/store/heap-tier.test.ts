import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { HeapTier } from '../../src/store/heap-tier.js'

const never = (): number => 0

/** The byte cost of an entry whose value is `valueBytes` long, as the tier reports it. */
function costOf(key: string, valueBytes: number): number {
  const probe = new HeapTier(1 << 20)
  probe.set(key, Buffer.alloc(valueBytes), 0, false)
  return probe.bytes
}

describe('HeapTier', () => {
  it('evicts the entries not read since the hand passed, and keeps the ones read', () => {
    const cost = costOf('k00', 100)
    const tier = new HeapTier(10 * cost)
    for (let i = 0; i < 10; i++) tier.set(`k${String(i).padStart(2, '0')}`, Buffer.alloc(100, i), 0, false)
    for (const i of [0, 2, 4, 6, 8]) assert.ok(tier.get(`k0${i}`, never))
    for (let i = 10; i < 15; i++) tier.set(`k${i}`, Buffer.alloc(100, i), 0, false)
    assert.equal(tier.entries, 10)
    assert.ok(tier.bytes <= tier.maxBytes)
    for (const i of [0, 2, 4, 6, 8]) assert.equal(tier.peek(`k0${i}`)?.value[0], i, `k0${i} was read and stays`)
    for (const i of [1, 3, 5, 7, 9]) assert.equal(tier.peek(`k0${i}`), undefined, `k0${i} was never read and goes`)
  })

  it('a scan of keys read once does not push out a key read again and again', () => {
    const cost = costOf('hot', 100)
    const tier = new HeapTier(8 * cost)
    tier.set('hot', Buffer.alloc(100, 1), 0, false)
    for (let i = 0; i < 1000; i++) {
      assert.ok(tier.get('hot', never), `hot is still there after ${i} scanned keys`)
      tier.set(`s${i}`, Buffer.alloc(100), 0, false)
    }
  })

  it('drops an expired entry when it is read, asking the clock only about entries that can expire', () => {
    let now = 1000
    let asked = 0
    const clock = (): number => {
      asked++
      return now
    }
    const tier = new HeapTier(1 << 20)
    tier.set('forever', Buffer.from('a'), 0, false)
    tier.set('brief', Buffer.from('b'), 1500, false)
    assert.equal(tier.get('forever', clock)?.value.toString(), 'a')
    assert.equal(asked, 0)
    assert.equal(tier.get('brief', clock)?.value.toString(), 'b')
    now = 1500
    assert.equal(tier.get('brief', clock), undefined)
    assert.equal(tier.peek('brief'), undefined, 'dropped, not just hidden')
    assert.equal(tier.entries, 1)
  })

  it('an overwrite replaces the value and its size; a value larger than the tier is not kept, and drops the old one', () => {
    const tier = new HeapTier(4096)
    tier.set('k', Buffer.alloc(10), 0, false)
    const small = tier.bytes
    tier.set('k', Buffer.alloc(1000), 0, true)
    assert.equal(tier.bytes, small + 990)
    assert.equal(tier.peek('k')?.heapOnly, true)
    tier.set('k', Buffer.alloc(5000), 0, false)
    assert.equal(tier.peek('k'), undefined)
    assert.equal(tier.bytes, 0)
    assert.equal(new HeapTier(0).entries, 0)
    const off = new HeapTier(0)
    off.set('k', Buffer.alloc(1), 0, false)
    assert.equal(off.get('k', never), undefined, 'a tier of 0 bytes holds nothing')
  })

  it('the read mark is set by get, not by peek, and taken once', () => {
    const tier = new HeapTier(1 << 20)
    tier.set('k', Buffer.alloc(1), 0, false)
    tier.peek('k')
    assert.equal(tier.takeReadMark('k'), false)
    tier.get('k', never)
    assert.equal(tier.takeReadMark('k'), true)
    assert.equal(tier.takeReadMark('k'), false)
    assert.equal(tier.takeReadMark('absent'), false)
  })

  it('agrees with a Map on every value it still holds, and stays within its bytes, through random operations', () => {
    type Op = { op: 'set'; key: number; size: number } | { op: 'get'; key: number } | { op: 'delete'; key: number } | { op: 'clear' }
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 5, arbitrary: fc.record({ op: fc.constant('set' as const), key: fc.nat(40), size: fc.nat(600) }) },
      { weight: 5, arbitrary: fc.record({ op: fc.constant('get' as const), key: fc.nat(40) }) },
      { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), key: fc.nat(40) }) },
      { weight: 1, arbitrary: fc.constant({ op: 'clear' as const }) },
    )
    fc.assert(fc.property(fc.array(op, { maxLength: 300 }), fc.integer({ min: 0, max: 6000 }), (ops, maxBytes) => {
      const tier = new HeapTier(maxBytes)
      const model = new Map<string, number>()
      let version = 0
      for (const o of ops) {
        if (o.op === 'clear') {
          tier.clear()
          model.clear()
          continue
        }
        const key = `key-${o.key}`
        if (o.op === 'set') {
          const value = Buffer.alloc(o.size + 4)
          value.writeUInt32LE(++version)
          tier.set(key, value, 0, false)
          model.set(key, version)
        } else if (o.op === 'delete') {
          tier.delete(key)
          model.delete(key)
        } else {
          const entry = tier.get(key, never)
          if (entry !== undefined) assert.equal(entry.value.readUInt32LE(0), model.get(key), `${key} holds its last value`)
        }
        assert.ok(tier.bytes <= Math.max(0, maxBytes), `${tier.bytes} bytes held in a tier of ${maxBytes}`)
        let sum = 0
        for (const k of tier.keys()) {
          const entry = tier.peek(k)!
          assert.ok(model.has(k), `${k} was set and not deleted`)
          assert.equal(entry.value.readUInt32LE(0), model.get(k))
          sum += costOf(k, entry.value.byteLength)
        }
        assert.equal(tier.bytes, sum, 'the byte count is the sum of the entries held')
      }
    }), { numRuns: 200 })
  })
})
