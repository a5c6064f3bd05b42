/**
 * DESIGN.md, "No older value may reappear": expiry, compaction, eviction
 * and recovery may forget a key, but never let a superseded record become
 * visible again. Targeted cases for each way that was once broken.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore, type Store, type StoreOptions } from '../../src/index.js'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024
const FILLER = Buffer.alloc(2000, 0x66)

/** Writes until the active journal changes; `live` keeps every filler key, otherwise one key is overwritten (all dead). */
async function fillJournal(store: Store, label: string, live: boolean): Promise<void> {
  const start = store.stats().journals.total
  for (let i = 0; store.stats().journals.total === start; i++) await store.set(live ? `${label}-${i}` : label, FILLER)
}

function optionsFor(dir: string, backend: StoreOptions['backend'], clock: { now: number }, extra: Partial<StoreOptions> = {}): StoreOptions {
  return { dir, backend, journalBytes: JOURNAL_BYTES, autoCompact: false, durability: 'none', now: () => clock.now, ...extra }
}

/** Flips one byte of `needle`'s only occurrence in the journal files of `dir`. */
function damage(dir: string, needle: Buffer): void {
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.journal'))) {
    const file = path.join(dir, name)
    const bytes = fs.readFileSync(file)
    const at = bytes.indexOf(needle)
    if (at < 0) continue
    bytes[at + 1] ^= 0xff
    fs.writeFileSync(file, bytes)
    return
  }
  throw new Error('needle not found')
}

for (const backend of BACKENDS) {
  describe(`no superseded value reappears (${backend} backend)`, () => {
    for (const read of ['get', 'has', 'reopen'] as const) {
      it(`an overwrite that expires (noticed by ${read}) keeps the older value hidden through compaction and reopen`, async () => {
        const clock = { now: 1_700_000_000_000 }
        const dir = tempDir('superseded-expiry')
        const options = optionsFor(dir, backend, clock)
        let store = await openStore(options)
        await store.set('K', 'v1')
        await fillJournal(store, 'live', true)
        await store.set('K', 'v2', { ttl: 1000 })
        await fillJournal(store, 'dead', false)
        clock.now += 2000
        if (read === 'get') assert.equal(await store.get('K'), undefined)
        if (read === 'has') assert.equal(store.has('K'), false)
        if (read === 'reopen') {
          await store.close()
          store = await openStore(options)
        }
        const report = await store.compact()
        assert.ok(report.journals.length > 0, 'the journal holding v2 was compacted')
        assert.equal(await store.get('K'), undefined, 'after compaction')
        await store.close()
        store = await openStore(options)
        assert.equal(await store.get('K'), undefined, 'after compaction and reopen')
        await store.close()
      })
    }

    it('an automatic compaction keeps the older value hidden too', { timeout: 120_000 }, async () => {
      const clock = { now: 1_700_000_000_000 }
      const dir = tempDir('superseded-auto')
      const options = optionsFor(dir, backend, clock, { autoCompact: true })
      let store = await openStore(options)
      await store.set('K', 'v1')
      await fillJournal(store, 'live', true)
      await store.set('K', 'v2', { ttl: 1000 })
      clock.now += 2000
      assert.equal(await store.get('K'), undefined)
      await fillJournal(store, 'dead', false)
      await fillJournal(store, 'dead', false)
      // The compaction runs in the background: on a loaded machine it may still be queued here, and close()
      // skips a queued task. Wait for its outcome (the journal holding v2 gone), turn by turn.
      while (fs.existsSync(path.join(dir, '00000002.journal'))) await new Promise((resolve) => setImmediate(resolve))
      await store.close()
      store = await openStore(options)
      assert.equal(await store.get('K'), undefined, 'after compaction and reopen')
      await store.close()
    })

    for (const read of [true, false]) {
      it(`a damaged newest record (${read ? 'read' : 'not read'} before the compaction) never lets the older value back`, async () => {
        const clock = { now: 1_700_000_000_000 }
        const dir = tempDir('superseded-damaged')
        const reports: CorruptionReport[] = []
        const options = optionsFor(dir, backend, clock, { onCorruption: (r) => reports.push(r) })
        let store = await openStore(options)
        await store.set('K', 'v1')
        await fillJournal(store, 'live', true)
        const newest = Buffer.from('the newest value of K')
        await store.set('K', newest)
        await fillJournal(store, 'dead', false)
        await store.close()
        damage(dir, newest)
        store = await openStore(options)
        if (read) {
          assert.equal(await store.get('K'), undefined, 'the damaged record is not served')
          assert.ok(reports.some((r) => r.reason === 'corrupt-record'), 'and it is reported')
        }
        const report = await store.compact()
        assert.ok(report.journals.includes(2), 'the journal holding the damaged record was compacted')
        assert.equal(await store.get('K'), undefined, 'after compaction')
        await store.close()
        store = await openStore(options)
        assert.equal(await store.get('K'), undefined, 'after compaction and reopen')
        await store.close()
      })
    }
  })
}
