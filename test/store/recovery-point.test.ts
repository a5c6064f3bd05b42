/**
 * Point-in-time recovery across journals (issue 7 §5): after damage, the
 * store comes back as it was just before the first damaged record, in
 * journal order, except that every key with a record after that point (later
 * in that journal, or in a later journal) is forgotten. So no key holds a
 * value older than the one it held at that point, and no state mixes values
 * from before and after it.
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

async function fillJournal(store: Store, label: string): Promise<void> {
  const start = store.stats().journals.total
  for (let i = 0; store.stats().journals.total === start; i++) await store.set(`${label}-${i}`, FILLER)
}

function damage(file: string, needle: Buffer): void {
  const bytes = fs.readFileSync(file)
  const at = bytes.indexOf(needle)
  assert.ok(at >= 0, 'the record to damage is in the journal')
  bytes[at + 1] ^= 0xff
  fs.writeFileSync(file, bytes)
}

const text = async (store: Store, key: string) => (await store.get(key))?.toString()

for (const backend of BACKENDS) {
  describe(`point-in-time recovery across journals (${backend} backend)`, () => {
    it('a damaged record in a sealed journal (hint missing): later deletes and writes are forgotten, older values stay hidden', async () => {
      const dir = tempDir('recovery-point')
      const reports: CorruptionReport[] = []
      const options: StoreOptions = { dir, backend, journalBytes: JOURNAL_BYTES, autoCompact: false, durability: 'none', onCorruption: (r) => reports.push(r) }
      let store = await openStore(options)
      await store.set('K', 'v1')
      await store.set('L', 'l1')
      await fillJournal(store, 'one')
      // Journal 2: a record, the one to damage, then a delete of K and an overwrite of L.
      await store.set('before', 'kept')
      const damaged = Buffer.from('the record that will be damaged')
      await store.set('D', damaged)
      await store.delete('K')
      await store.set('L', 'l2')
      await fillJournal(store, 'two')
      // Journal 3: newer writes, and L again.
      await store.set('later', 'after the damage')
      await store.set('L', 'l3')
      await store.close()
      fs.rmSync(path.join(dir, '00000002.hint'))
      fs.rmSync(path.join(dir, '00000002.bloom'), { force: true })
      damage(path.join(dir, '00000002.journal'), damaged)

      store = await openStore(options)
      assert.ok(reports.some((r) => r.reason === 'corrupt-record'), 'the damage is reported')
      const check = async (when: string) => {
        assert.equal(await text(store, 'before'), 'kept', `${when}: a record before the damage is kept`)
        assert.equal(await text(store, 'one-0'), FILLER.toString(), `${when}: and so is the journal before it`)
        assert.equal(await text(store, 'D'), undefined, `${when}: the damaged record is never served`)
        assert.equal(await text(store, 'K'), undefined, `${when}: K, deleted after the damage, does not come back as v1`)
        assert.equal(await text(store, 'L'), undefined, `${when}: L, overwritten after the damage, does not come back as l1`)
        assert.equal(await text(store, 'later'), undefined, `${when}: a write in a later journal is forgotten with the rest`)
      }
      await check('after recovery')
      await store.set('fresh', 'written after the recovery')
      await store.close()
      store = await openStore(options)
      await check('after a second reopen')
      assert.equal(await text(store, 'fresh'), 'written after the recovery', 'a write made after the recovery survives the next open')
      await store.close()
    })

    it('damage in the active journal: a delete after it does not bring the older value back', async () => {
      const dir = tempDir('recovery-point-active')
      const options: StoreOptions = { dir, backend, journalBytes: JOURNAL_BYTES, autoCompact: false, durability: 'none' }
      let store = await openStore(options)
      await store.set('K', 'v1')
      await fillJournal(store, 'one')
      const damaged = Buffer.from('the record that will be damaged')
      await store.set('D', damaged)
      await store.delete('K')
      await store.set('after', 'x')
      await store.close()
      damage(path.join(dir, '00000002.journal'), damaged)
      store = await openStore(options)
      assert.equal(await text(store, 'K'), undefined, 'K stays deleted (forgotten), not v1')
      assert.equal(await text(store, 'after'), undefined)
      await store.set('fresh', 'written after the recovery')
      await store.close()
      store = await openStore(options)
      assert.equal(await text(store, 'K'), undefined, 'and after another reopen')
      assert.equal(await text(store, 'fresh'), 'written after the recovery', 'a write made after the recovery survives the next open')
      await store.close()
    })
  })
}
