import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import fc from 'fast-check'
import { ValueSlabs, type Slab, type SlabResident } from '../../src/store/value-slabs.js'

const SLAB_BYTES = 64 * 1024

function resident(): SlabResident {
  return { value: Buffer.alloc(0), slab: undefined }
}

/** A value whose every byte says which value it is, so a mix-up shows. */
function bytesOf(id: number, length: number): Buffer {
  return Buffer.alloc(length, id % 251)
}

describe('ValueSlabs', () => {
  it('keeps every value intact through moves, and holds under twice the live bytes plus two slabs', () => {
    fc.assert(fc.property(fc.array(fc.record({ place: fc.boolean(), size: fc.integer({ min: 1, max: 5000 }), pick: fc.nat() }), { maxLength: 3000 }), (ops) => {
      const slabs = new ValueSlabs()
      const live = new Map<number, { holder: SlabResident; length: number }>()
      let next = 0
      for (const op of ops) {
        if (op.place || live.size === 0) {
          const holder = resident()
          slabs.place(holder, bytesOf(next, op.size))
          live.set(next++, { holder, length: op.size })
        } else {
          const ids = [...live.keys()]
          const id = ids[op.pick % ids.length]
          slabs.release(live.get(id)!.holder)
          live.delete(id)
        }
      }
      const held = new Set<Slab>()
      let liveSlabBytes = 0
      for (const [id, { holder, length }] of live) {
        assert.deepEqual(holder.value, bytesOf(id, length), `value ${id} changed`)
        if (holder.slab !== undefined) {
          held.add(holder.slab)
          liveSlabBytes += length
        } else {
          assert.ok(length >= 4096, `a ${length}-byte value has memory of its own`)
          assert.equal(holder.value.buffer.byteLength, length)
        }
      }
      for (const { holder } of live.values()) if (holder.slab !== undefined) assert.equal(holder.value.buffer, holder.slab.memory)
      assert.ok(held.size * SLAB_BYTES <= 2 * liveSlabBytes + 2 * SLAB_BYTES,
        `${held.size} slabs held for ${liveSlabBytes} live bytes`)
    }), { numRuns: 100 })
  })

  it('a value handed out before a move keeps its bytes', () => {
    const slabs = new ValueSlabs()
    const holders = Array.from({ length: 1000 }, (_, i) => {
      const holder = resident()
      slabs.place(holder, bytesOf(i, 100))
      return holder
    })
    const early = holders[0].value
    // Release most of the first slab: its survivors move.
    for (let i = 1; i < 500; i++) slabs.release(holders[i])
    assert.notEqual(holders[0].value.buffer, early.buffer, 'the survivor moved')
    assert.deepEqual(early, bytesOf(0, 100))
    assert.deepEqual(holders[0].value, bytesOf(0, 100))
  })
})
