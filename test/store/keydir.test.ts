import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Keydir } from '../../src/keydir.js'
import { mix32 } from '../../src/key-hash.js'
import { seededRandom } from '../helpers/seeded-random.js'


const randomU32 = (random: () => number): number => Math.floor(random() * 2 ** 32)

/** Every slot find/findNext yields for `hash`, in order. */
function slotsOf(keydir: Keydir, hash: number): number[] {
  const slots: number[] = []
  for (let slot = keydir.find(hash); slot !== -1; slot = keydir.findNext(hash, slot)) slots.push(slot)
  return slots
}

/** The slot of the entry for `hash` whose record is at `offset` (offsets identify entries in these tests), or -1. */
function locate(keydir: Keydir, hash: number, offset: number): number {
  for (let slot = keydir.find(hash); slot !== -1; slot = keydir.findNext(hash, slot)) {
    if (keydir.offset(slot) === offset) return slot
  }
  return -1
}

/** Fills a table with `count` entries with random hashes; entry i is at offset i × 8. */
function fillRandom(keydir: Keydir, count: number, random: () => number): Uint32Array {
  const hashes = new Uint32Array(count)
  for (let i = 0; i < count; i++) {
    hashes[i] = randomU32(random)
    keydir.insert(hashes[i], 1 + (i % 1000), i * 8, 100 + i, 0)
  }
  return hashes
}

describe('Keydir round trips', () => {
  it('finds what was inserted, with every field, and forgets what was removed', () => {
    const keydir = new Keydir()
    const slot = keydir.insert(0xdeadbeef, 7, 4096, 133, 1_700_000_000_000)
    assert.equal(keydir.size, 1)
    assert.equal(keydir.find(0xdeadbeef), slot)
    assert.equal(keydir.hash(slot), 0xdeadbeef)
    assert.equal(keydir.journalId(slot), 7)
    assert.equal(keydir.offset(slot), 4096)
    assert.equal(keydir.length(slot), 133)
    assert.equal(keydir.expiresAt(slot), 1_700_000_000_000)
    assert.equal(keydir.findNext(0xdeadbeef, slot), -1)
    assert.equal(keydir.find(0xdeadbeee), -1)

    keydir.update(slot, 9, 8192, 200, 0)
    assert.equal(keydir.find(0xdeadbeef), slot)
    assert.deepEqual([keydir.journalId(slot), keydir.offset(slot), keydir.length(slot), keydir.expiresAt(slot)], [9, 8192, 200, 0])

    keydir.remove(slot)
    assert.equal(keydir.size, 0)
    assert.equal(keydir.find(0xdeadbeef), -1)
  })

  it('holds the extreme values of every field', () => {
    const keydir = new Keydir({ initialCapacity: 4 })
    const top = keydir.insert(0xffffffff, 0xffffffff, 0xfffffff8, 0xffffffff, 0)
    const bottom = keydir.insert(0, 1, 0, 0, 0)
    assert.deepEqual([keydir.hash(top), keydir.journalId(top), keydir.offset(top), keydir.length(top)], [0xffffffff, 0xffffffff, 0xfffffff8, 0xffffffff])
    assert.deepEqual([keydir.hash(bottom), keydir.journalId(bottom), keydir.offset(bottom), keydir.length(bottom)], [0, 1, 0, 0])
    assert.equal(keydir.find(0xffffffff), top)
    assert.equal(keydir.find(0), bottom)
  })

  it('takes a hash as an unsigned 32-bit integer, as hashKey gives it', () => {
    const keydir = new Keydir()
    const slot = keydir.insert(-1, 1, 0, 1, 0)
    assert.equal(keydir.hash(slot), 0xffffffff)
    assert.equal(keydir.find(0xffffffff), slot)
    assert.equal(keydir.find(-1), slot)
  })

  it('clear empties the table and keeps its capacity', () => {
    const keydir = new Keydir({ initialCapacity: 16 })
    const hashes = fillRandom(keydir, 1000, seededRandom(1))
    const capacity = keydir.capacity
    keydir.clear()
    assert.equal(keydir.size, 0)
    assert.equal(keydir.capacity, capacity)
    for (const hash of hashes) assert.equal(keydir.find(hash), -1)
    let visited = 0
    keydir.forEach(() => visited++)
    assert.equal(visited, 0)
    keydir.insert(hashes[0], 1, 0, 1, 0)
    assert.equal(keydir.find(hashes[0]) >= 0, true)
  })
})

describe('Keydir entries that share a hash', () => {
  for (const hash of [0, 0x12345678, 0xffffffff]) {
    it(`finds all 500 entries with hash ${hash.toString(16)} through find and findNext, before and after removing one`, () => {
      const keydir = new Keydir({ initialCapacity: 8 })
      const random = seededRandom(hash)
      // Neighbours with other hashes interleave with the flood and, for the
      // extreme hashes, make its run wrap round the end of the table.
      for (let i = 0; i < 500; i++) {
        keydir.insert(hash, 1, i * 8, 10, 0)
        keydir.insert((hash + (random() < 0.5 ? 1 : -1) * (1 + randomU32(random) % 0x1000000)) >>> 0, 2, i * 8, 10, 0)
      }
      const offsetsOf = (slots: number[]): number[] => slots.map((slot) => keydir.offset(slot)).sort((a, b) => a - b)
      let slots = slotsOf(keydir, hash)
      assert.equal(slots.length, 500)
      assert.ok(slots.every((slot) => keydir.hash(slot) === hash && keydir.journalId(slot) === 1))
      assert.deepEqual(offsetsOf(slots), Array.from({ length: 500 }, (_, i) => i * 8))

      keydir.remove(slots[250])
      slots = slotsOf(keydir, hash)
      assert.equal(slots.length, 499)
      assert.deepEqual(offsetsOf(slots), Array.from({ length: 500 }, (_, i) => i * 8).filter((offset) => offset !== 250 * 8))
      keydir.remove(slots[0])
      keydir.remove(slotsOf(keydir, hash).at(-1)!)
      assert.equal(slotsOf(keydir, hash).length, 497)
      assert.equal(keydir.size, 997)
    })
  }

  it('stays exact when one hash fills most of the table (runs longer than half of it)', () => {
    const random = seededRandom(21)
    const keydir = new Keydir({ initialCapacity: 1000, maxLoad: 0.95 })
    const flood = 0xf0000000
    const hashes: number[] = []
    for (let i = 0; i < 940; i++) {
      const hash = i % 7 === 0 ? randomU32(random) : flood
      hashes.push(hash)
      keydir.insert(hash, 1, i * 8, 1, 0)
    }
    assert.equal(keydir.capacity, 1000)
    const gone = new Set<number>()
    const check = (): void => {
      for (let i = 0; i < hashes.length; i++) assert.equal(locate(keydir, hashes[i], i * 8) === -1, gone.has(i), `entry ${i}`)
      assert.equal(slotsOf(keydir, flood).length, hashes.filter((hash, i) => hash === flood && !gone.has(i)).length)
    }
    check()
    for (let i = 0; i < 940; i += 3) {
      keydir.remove(locate(keydir, hashes[i], i * 8))
      gone.add(i)
    }
    check()
  })
})

describe('Keydir growth', () => {
  it('keeps every entry while growing from 8 slots to 200k entries', () => {
    const keydir = new Keydir({ initialCapacity: 8 })
    const hashes = fillRandom(keydir, 200_000, seededRandom(42))
    assert.equal(keydir.size, 200_000)
    assert.ok(keydir.capacity >= 200_000 / 0.85)
    for (let i = 0; i < hashes.length; i++) {
      const slot = locate(keydir, hashes[i], i * 8)
      assert.notEqual(slot, -1, `entry ${i}`)
      assert.equal(keydir.journalId(slot), 1 + (i % 1000))
      assert.equal(keydir.length(slot), 100 + i)
    }
  })

  it('keeps hit flags and expiry hints through a rehash', () => {
    const keydir = new Keydir({ initialCapacity: 8 })
    const hashes = fillRandom(keydir, 64, seededRandom(7))
    for (let i = 0; i < 64; i += 2) keydir.markHit(locate(keydir, hashes[i], i * 8))
    const withExpiry = keydir.insert(123, 1, 8 * 64, 1, 1_700_000_000_500)
    assert.equal(keydir.wasHit(withExpiry), false)
    fillRandom(keydir, 1000, seededRandom(8))
    for (let i = 0; i < 64; i++) assert.equal(keydir.wasHit(locate(keydir, hashes[i], i * 8)), i % 2 === 0)
    assert.equal(keydir.expiresAt(locate(keydir, 123, 8 * 64)), 1_700_000_001_000)
  })

  it('stays within 32 bytes a key at every size from 10k to 1M keys', () => {
    const keydir = new Keydir()
    const random = seededRandom(3)
    let worst = 0
    for (let i = 0; i < 1_000_000; i++) {
      keydir.insert(randomU32(random), 1, 0, 1, 0)
      if (i >= 10_000) worst = Math.max(worst, keydir.byteSize / keydir.size)
    }
    assert.equal(keydir.byteSize, keydir.capacity * 20)
    assert.ok(worst <= 32, `worst ${worst.toFixed(1)} bytes a key`)
    assert.ok(keydir.size / keydir.capacity <= 0.85)
  })

  it('grows even from a one-slot table at the lowest load', () => {
    const keydir = new Keydir({ initialCapacity: 1, maxLoad: 0.5 })
    for (let i = 0; i < 100; i++) keydir.insert(mix32(i), 1, i * 8, 1, 0)
    for (let i = 0; i < 100; i++) assert.notEqual(locate(keydir, mix32(i), i * 8), -1)
    assert.ok(keydir.size / keydir.capacity <= 0.5)
  })
})

describe('Keydir reserve', () => {
  it('reserve takes the entries it was asked for without growing again', () => {
    const keydir = new Keydir()
    keydir.reserve(100_000)
    const capacity = keydir.capacity
    assert.ok(capacity >= 100_000 / 0.85)
    const hashes = fillRandom(keydir, 100_000, seededRandom(11))
    assert.equal(keydir.capacity, capacity, 'no growth on the way')
    for (let i = 0; i < hashes.length; i += 7) assert.notEqual(locate(keydir, hashes[i], i * 8), -1, `entry ${i}`)
    keydir.reserve(10)
    assert.equal(keydir.capacity, capacity, 'reserve never shrinks')
  })

})

describe('Keydir insertAscending', () => {
  /** Entries for a rebuild: random hashes in ascending order, some shared, 200 at 0xffffffff so the last run wraps round the end. */
  function ascending(count: number, random: () => number): number[] {
    const hashes: number[] = []
    for (let i = 0; i < count; i++) hashes.push(random() < 0.05 && i > 0 ? hashes[i - 1] : randomU32(random))
    for (let i = 0; i < 200; i++) hashes.push(0xffffffff)
    return hashes.sort((a, b) => a - b)
  }

  for (const seed of [1, 2, 3]) {
    it(`fills an empty table as inserting in the same order would, slot for slot, the wrapped run included (seed ${seed})`, () => {
      const hashes = ascending(20_000, seededRandom(seed))
      const fast = new Keydir()
      const slow = new Keydir()
      fast.reserve(hashes.length * 1.1)
      slow.reserve(hashes.length * 1.1)
      hashes.forEach((hash, i) => {
        fast.insertAscending(hash, 1 + (i % 7), i * 8, i, i % 3 === 0 ? 1_700_000_000 + i : 0)
        slow.insert(hash, 1 + (i % 7), i * 8, i, i % 3 === 0 ? (1_700_000_000 + i) * 1000 : 0)
      })
      assert.equal(fast.size, hashes.length)
      hashes.forEach((hash, i) => {
        const slot = locate(fast, hash, i * 8)
        assert.equal(slot, locate(slow, hash, i * 8), `entry ${i} in the same slot`)
        assert.deepEqual([fast.journalId(slot), fast.length(slot), fast.expiresAt(slot)], [1 + (i % 7), i, i % 3 === 0 ? (1_700_000_000 + i) * 1000 : 0])
      })
      assert.equal(slotsOf(fast, 0xffffffff).length, 200)
    })
  }

  it('falls back to insert for an entry out of order, a table that held others, and one changed since', () => {
    const random = seededRandom(5)
    const keydir = new Keydir()
    keydir.insert(12345, 1, 0, 1, 0)
    const hashes = ascending(3000, random)
    const shuffled = [...hashes]
    // Out of order: every tenth entry swapped with its neighbour.
    for (let i = 0; i + 1 < shuffled.length; i += 10) [shuffled[i], shuffled[i + 1]] = [shuffled[i + 1], shuffled[i]]
    shuffled.forEach((hash, i) => keydir.insertAscending(hash, 1, (i + 1) * 8, 1, 0))
    keydir.remove(locate(keydir, 12345, 0))
    shuffled.forEach((hash, i) => assert.notEqual(locate(keydir, hash, (i + 1) * 8), -1, `entry ${i}`))
    // A table emptied by clear takes a run again.
    keydir.clear()
    hashes.forEach((hash, i) => keydir.insertAscending(hash, 2, i * 8, 1, 0))
    hashes.forEach((hash, i) => assert.notEqual(locate(keydir, hash, i * 8), -1, `entry ${i} after clear`))
    assert.equal(keydir.size, hashes.length)
  })
})

describe('Keydir backward-shift deletion', () => {
  it('after removing half at random, finds every entry left and none of those removed', () => {
    const random = seededRandom(99)
    const keydir = new Keydir()
    const count = 100_000
    const hashes = fillRandom(keydir, count, random)
    const removed = new Uint8Array(count)
    const order = Array.from({ length: count }, (_, i) => i)
    for (let i = count - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    for (const i of order.slice(0, count / 2)) {
      keydir.remove(locate(keydir, hashes[i], i * 8))
      removed[i] = 1
    }
    assert.equal(keydir.size, count / 2)
    for (let i = 0; i < count; i++) {
      assert.equal(locate(keydir, hashes[i], i * 8) === -1, removed[i] === 1, `entry ${i}`)
    }
  })

  it('keeps short probes at the highest load: misses stop early in Robin Hood order', () => {
    const random = seededRandom(5)
    const keydir = new Keydir({ initialCapacity: Math.ceil(100_000 / 0.85) + 1 })
    const hashes = fillRandom(keydir, 100_000, random)
    assert.ok(keydir.size / keydir.capacity > 0.84)
    let hitProbes = 0
    let missProbes = 0
    for (const hash of hashes) hitProbes += keydir.probeLength(hash)
    for (let i = 0; i < hashes.length; i++) missProbes += keydir.probeLength(randomU32(random))
    // Theory at 0.85 load: about 3.8 slots for a hit; plain linear probing would take about 23 for a miss.
    assert.ok(hitProbes / hashes.length < 5, `hits probe ${hitProbes / hashes.length}`)
    assert.ok(missProbes / hashes.length < 5, `misses probe ${missProbes / hashes.length}`)
  })
})

describe('Keydir hit flag', () => {
  it('is set by markHit, cleared by update, and never shows in offset()', () => {
    const keydir = new Keydir()
    const slot = keydir.insert(42, 1, 0xfffffff8, 10, 0)
    assert.equal(keydir.wasHit(slot), false)
    keydir.markHit(slot)
    assert.equal(keydir.wasHit(slot), true)
    assert.equal(keydir.offset(slot), 0xfffffff8)
    keydir.markHit(slot)
    assert.equal(keydir.wasHit(slot), true)
    keydir.update(slot, 2, 16, 10, 0)
    assert.equal(keydir.wasHit(slot), false)
    assert.equal(keydir.offset(slot), 16)
  })

  it('moves with an entry that a removal shifts back', () => {
    const keydir = new Keydir({ initialCapacity: 64 })
    const first = keydir.insert(7, 1, 0, 1, 0)
    const second = keydir.insert(7, 1, 8, 1, 0)
    keydir.markHit(second)
    keydir.remove(first)
    const moved = locate(keydir, 7, 8)
    assert.equal(moved, first)
    assert.equal(keydir.wasHit(moved), true)
    assert.equal(keydir.offset(moved), 8)
  })
})

describe('Keydir expiry hint', () => {
  const stored = (expiresAtMs: number): number => {
    const keydir = new Keydir()
    return keydir.expiresAt(keydir.insert(1, 1, 0, 1, expiresAtMs))
  }

  it('rounds up to a whole second, and keeps 0 for never', () => {
    assert.equal(stored(0), 0)
    assert.equal(stored(1), 1000)
    assert.equal(stored(1000), 1000)
    assert.equal(stored(1_700_000_000_000), 1_700_000_000_000)
    assert.equal(stored(1_700_000_000_001), 1_700_000_001_000)
    assert.equal(stored(1_700_000_000_999), 1_700_000_001_000)
    assert.equal(stored(1_700_000_000_000.25), 1_700_000_001_000)
  })

  it('is never earlier than the expiry it stands for, nor a second or more later', () => {
    const random = seededRandom(11)
    const keydir = new Keydir()
    const slot = keydir.insert(1, 1, 0, 1, 0)
    for (let i = 0; i < 100_000; i++) {
      const ms = i % 2 === 0 ? Math.floor(random() * 4e12) + 1 : random() * 4e12 + 0.001
      keydir.update(slot, 1, 0, 1, ms)
      const hint = keydir.expiresAt(slot)
      assert.ok(hint >= ms && hint - ms < 1000 && hint % 1000 === 0, `${ms} → ${hint}`)
    }
  })

  it('says never for no expiry and for times past u32 seconds, and expired for times before the epoch', () => {
    assert.equal(stored(Infinity), 0)
    assert.equal(stored(NaN), 0)
    assert.equal(stored(0xffffffff * 1000), 0xffffffff * 1000)
    assert.equal(stored(0xffffffff * 1000 + 1), 0)
    assert.equal(stored(-5000), 1000)
  })
})

describe('Keydir against a model', () => {
  it('agrees with a Map through 50k random operations', (t) => {
    const seed = process.env.KEYDIR_SEED === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.KEYDIR_SEED)
    t.diagnostic(`seed ${seed} (replay with KEYDIR_SEED=${seed})`)
    try {
      runModel(seed, 50_000)
    } catch (err) {
      if (err instanceof Error) err.message = `seed ${seed} (replay with KEYDIR_SEED=${seed}): ${err.message}`
      throw err
    }
  })
})

interface Expected {
  hash: number
  journalId: number
  offset: number
  length: number
  expiresAtMs: number
  hit: boolean
}

function runModel(seed: number, operations: number): void {
  const random = seededRandom(seed)
  const keydir = new Keydir({ initialCapacity: 1 + Math.floor(random() * 32), maxLoad: 0.5 + random() * 0.45 })
  const model = new Map<number, Expected>()
  const live: number[] = []
  // A few hashes shared on purpose, at both ends of the range among others.
  const shared = [0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, randomU32(random), randomU32(random)]
  let nextId = 0
  let nextOffset = 0
  const newLocation = (): [number, number, number, number] => {
    nextOffset += 8
    const expiresAtMs = random() < 0.5 ? 0 : Math.floor(random() * 4e12)
    return [1 + Math.floor(random() * 50), nextOffset, Math.floor(random() * 1e6), expiresAtMs]
  }
  const pick = (): number => live[Math.floor(random() * live.length)]
  const slotOf = (id: number): number => {
    const entry = model.get(id)!
    const slot = locate(keydir, entry.hash, entry.offset)
    assert.notEqual(slot, -1, `entry ${id} is found`)
    return slot
  }
  const check = (id: number): void => {
    const entry = model.get(id)!
    const slot = slotOf(id)
    assert.deepEqual(
      [keydir.hash(slot), keydir.journalId(slot), keydir.length(slot), keydir.wasHit(slot)],
      [entry.hash, entry.journalId, entry.length, entry.hit], `entry ${id}`)
    assert.equal(keydir.expiresAt(slot), Math.ceil(entry.expiresAtMs / 1000) * 1000)
  }
  const forget = (id: number): void => {
    model.delete(id)
    const at = live.indexOf(id)
    live[at] = live[live.length - 1]
    live.pop()
  }
  const checkAll = (): void => {
    assert.equal(keydir.size, model.size)
    const seen = new Set<number>()
    keydir.forEach((slot) => seen.add(keydir.offset(slot)))
    assert.equal(seen.size, model.size)
    for (const [id, entry] of model) {
      assert.ok(seen.has(entry.offset))
      check(id)
    }
    for (const hash of shared) assert.equal(slotsOf(keydir, hash).length, [...model.values()].filter((e) => e.hash === hash).length)
  }

  for (let step = 0; step < operations; step++) {
    const roll = random()
    if (roll < 0.35 || live.length === 0) {
      const id = nextId++
      const hash = random() < 0.3 ? shared[Math.floor(random() * shared.length)] : mix32(id + 1)
      const [journalId, offset, length, expiresAtMs] = newLocation()
      const slot = keydir.insert(hash, journalId, offset, length, expiresAtMs)
      assert.equal(keydir.offset(slot), offset)
      model.set(id, { hash, journalId, offset, length, expiresAtMs, hit: false })
      live.push(id)
    } else if (roll < 0.55) {
      check(pick())
    } else if (roll < 0.62) {
      // A hash nobody holds is missed; a shared one yields exactly its live entries.
      assert.equal(keydir.find(mix32(nextId + 1_000_000_000)), -1)
    } else if (roll < 0.72) {
      const id = pick()
      const entry = model.get(id)!
      const [journalId, offset, length, expiresAtMs] = newLocation()
      keydir.update(slotOf(id), journalId, offset, length, expiresAtMs)
      Object.assign(entry, { journalId, offset, length, expiresAtMs, hit: false })
      check(id)
    } else if (roll < 0.8) {
      const id = pick()
      keydir.markHit(slotOf(id))
      model.get(id)!.hit = true
    } else if (roll < 0.998) {
      const id = pick()
      keydir.remove(slotOf(id))
      forget(id)
      if (live.length > 0) check(pick())
    } else if (roll < 0.9995) {
      keydir.reserve(keydir.size + Math.floor(random() * 4000))
      checkAll()
    } else {
      keydir.clear()
      for (const id of [...model.keys()]) forget(id)
    }
    if (step % 2500 === 0) checkAll()
  }
  checkAll()
}

describe('Keydir argument checks', () => {
  it('rejects bad options with TypeErrors that name them', () => {
    for (const initialCapacity of [0, -1, 1.5, 2 ** 31, NaN, '64']) {
      assert.throws(() => new Keydir({ initialCapacity: initialCapacity as number }), { name: 'TypeError', message: /^Keydir options\.initialCapacity must be/ })
    }
    for (const maxLoad of [0.49, 0.96, 1, NaN, Infinity, '0.8']) {
      assert.throws(() => new Keydir({ maxLoad: maxLoad as number }), { name: 'TypeError', message: /^Keydir options\.maxLoad must be/ })
    }
    assert.equal(new Keydir({ initialCapacity: 1, maxLoad: 0.5 }).capacity, 1)
    assert.equal(new Keydir({ maxLoad: 0.95 }).capacity, 1024)
  })

  it('rejects a journalId of 0, a misaligned offset and fields that are not u32, on insert and on update', () => {
    const keydir = new Keydir()
    const slot = keydir.insert(1, 1, 0, 1, 0)
    const bad: Array<[number, number, number]> = [[0, 0, 1], [-1, 0, 1], [2 ** 32, 0, 1], [1.5, 0, 1], [1, 4, 1], [1, 1, 1], [1, -8, 1], [1, 2 ** 32, 1], [1, 0, -1], [1, 0, 2 ** 32], [1, 0, 0.5]]
    for (const [journalId, offset, length] of bad) {
      assert.throws(() => keydir.insert(2, journalId, offset, length, 0), { name: 'TypeError' }, `insert ${journalId} ${offset} ${length}`)
      assert.throws(() => keydir.update(slot, journalId, offset, length, 0), { name: 'TypeError' }, `update ${journalId} ${offset} ${length}`)
    }
    assert.equal(keydir.size, 1)
    assert.deepEqual([keydir.journalId(slot), keydir.offset(slot), keydir.length(slot)], [1, 0, 1])
  })

  it('rejects update, remove and markHit of a slot that holds no entry', () => {
    const keydir = new Keydir({ initialCapacity: 16 })
    const slot = keydir.insert(1, 1, 0, 1, 0)
    const emptySlot = (slot + 1) % keydir.capacity
    for (const target of [emptySlot, -1, 16, 1.5]) {
      assert.throws(() => keydir.update(target, 1, 0, 1, 0), { name: 'RangeError' })
      assert.throws(() => keydir.remove(target), { name: 'RangeError' })
      assert.throws(() => keydir.markHit(target), { name: 'RangeError' })
    }
    assert.equal(keydir.size, 1)
  })
})
