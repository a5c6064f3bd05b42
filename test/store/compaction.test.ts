import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore, type CompactionReport } from '../../src/index.js'
import { drainStepHook } from '../../src/store/journal-drain.js'
import { BACKENDS } from '../helpers/backends.js'
import { isValueFor, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
const KEYS = 1500

for (const backend of BACKENDS) {
  describe(`compaction (${backend} backend)`, () => {
    it('lowers the dead ratio and gives back space, keeping every live key intact', async () => {
      const dir = tempDir('compact')
      const store = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, autoCompact: false, compression: false })
      for (let i = 0; i < KEYS; i++) await store.set(`key-${i}`, valueFor(`key-${i}`, 0, 150))
      // Overwrite most keys and delete some: the early journals become mostly dead.
      for (let i = 0; i < KEYS; i++) {
        if (i % 10 === 0) await store.delete(`key-${i}`)
        else if (i % 10 < 8) await store.set(`key-${i}`, valueFor(`key-${i}`, 1, 150))
      }
      const before = store.stats()
      const report = await store.compact()
      const after = store.stats()
      assert.ok(report.journals.length >= 3, `compacted ${report.journals}`)
      assert.ok(report.moved > 0)
      assert.ok(after.disk.deadRatio < before.disk.deadRatio, `dead ratio ${before.disk.deadRatio} -> ${after.disk.deadRatio}`)
      assert.ok(after.disk.bytes < before.disk.bytes, `disk bytes ${before.disk.bytes} -> ${after.disk.bytes}`)
      assert.ok(after.writeAmplification > before.writeAmplification, 'moves count as written bytes')
      const check = async (s: typeof store, when: string) => {
        for (let i = 0; i < KEYS; i++) {
          const got = await s.get(`key-${i}`)
          if (i % 10 === 0) assert.equal(got, undefined, `${when}: key-${i} stays deleted`)
          else assert.ok(got && isValueFor(`key-${i}`, i % 10 < 8 ? 1 : 0, got), `${when}: key-${i}`)
        }
      }
      await check(store, 'after compaction')
      await store.close()
      const reopened = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, maxHeapBytes: 0 })
      await check(reopened, 'after reopen')
      await reopened.close()
    })

    it('close() stops a compaction under way at its next step, and every value is still there after a reopen', async () => {
      const dir = tempDir('close-compacting')
      const store = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, autoCompact: false, compression: false })
      for (let i = 0; i < KEYS; i++) await store.set(`key-${i}`, valueFor(`key-${i}`, 0, 150))
      for (let i = 0; i < KEYS; i += 2) await store.set(`key-${i}`, valueFor(`key-${i}`, 1, 150))
      let steps = 0
      let stepsAfterClose = 0
      let closing: Promise<void> | undefined
      drainStepHook.beforeStep = () => {
        steps++
        if (closing !== undefined) stepsAfterClose++
        // A few steps in, the store is closed from inside the compaction's own step.
        else if (steps === 5) closing = store.close()
      }
      let report: CompactionReport
      try {
        report = await store.compact()
        await closing
      } finally {
        drainStepHook.beforeStep = undefined
      }
      assert.ok(closing !== undefined, `the compaction took ${steps} steps`)
      assert.equal(stepsAfterClose, 0, 'no step of the compaction ran after close()')
      assert.deepEqual(report.journals, [], 'the journal under way is left whole')
      const reopened = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, maxHeapBytes: 0 })
      for (let i = 0; i < KEYS; i++) {
        const got = await reopened.get(`key-${i}`)
        assert.ok(got && isValueFor(`key-${i}`, i % 2 === 0 ? 1 : 0, got), `key-${i} after the interrupted compaction`)
      }
      await reopened.close()
    })

    it('an overwrite or delete racing the compaction wins, now and after a reopen', async () => {
      const dir = tempDir('race')
      const store = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, autoCompact: false, compression: false })
      for (let i = 0; i < KEYS; i++) await store.set(`key-${i}`, valueFor(`key-${i}`, 0, 150))
      for (let i = 0; i < KEYS; i += 2) await store.set(`key-${i}`, valueFor(`key-${i}`, 1, 150))
      // The odd keys are live in the journals being compacted. One of them is written before each
      // step of the compaction, from its step hook, so the writes land between the moves, for certain:
      // newest first, while the compaction walks from the oldest, so it moves the keys it reaches
      // first and must skip those the writes reached first.
      const odd = Array.from({ length: KEYS / 2 }, (_, n) => KEYS - 1 - 2 * n)
      let steps = 0
      drainStepHook.beforeStep = async () => {
        steps++
        const i = odd.shift()
        if (i === undefined) return
        if (i % 3 === 0) await store.delete(`key-${i}`)
        else await store.set(`key-${i}`, valueFor(`key-${i}`, 2, 150))
      }
      let report: CompactionReport
      try {
        report = await store.compact()
      } finally {
        drainStepHook.beforeStep = undefined
        if (odd.length > 0) await store.close()
      }
      assert.deepEqual(odd, [], 'every racing write landed during the compaction')
      assert.ok(steps > KEYS / 2, `the compaction took ${steps} steps`)
      assert.ok(report.journals.length > 0)
      assert.ok(report.moved > 0, 'it moved live records between the racing writes')
      // The race guard: entries live when their journal's drain began, replaced before their turn, are not moved.
      assert.ok(report.superseded > 0, `the race guard skipped ${report.superseded} entries a racing write replaced`)
      assert.equal(store.stats().compaction.superseded, report.superseded)
      const expected = (i: number) => (i % 2 === 0 ? 1 : i % 3 === 0 ? undefined : 2)
      const check = async (s: typeof store, when: string) => {
        for (let i = 0; i < KEYS; i++) {
          const got = await s.get(`key-${i}`)
          const seq = expected(i)
          if (seq === undefined) assert.equal(got, undefined, `${when}: key-${i} deleted during compaction stays deleted`)
          else assert.ok(got && isValueFor(`key-${i}`, seq, got), `${when}: key-${i} has write ${seq}`)
        }
      }
      await check(store, 'after compaction')
      await store.close()
      const reopened = await openStore({ dir, backend, journalBytes: JOURNAL_BYTES, maxHeapBytes: 0 })
      await check(reopened, 'after reopen')
      await reopened.close()
    })
  })
}
