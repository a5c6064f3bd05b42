/**
 * The keydir's expiry hint on the read path (issue 15, target 11): a read of
 * a key whose record has expired is answered from the keydir alone. Shown by
 * damage: the record's bytes are flipped on disk, and reading the expired key
 * reports nothing, where reading an unexpired key with the same damage does.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

/** Flips the first byte of `marker` in whichever journal holds it. */
function flipInJournals(dir: string, marker: Buffer): void {
  for (const name of fs.readdirSync(dir).filter((n) => n.endsWith('.journal'))) {
    const file = path.join(dir, name)
    const at = fs.readFileSync(file).indexOf(marker)
    if (at < 0) continue
    const fd = fs.openSync(file, 'r+')
    try {
      fs.writeSync(fd, Buffer.from([marker[0] ^ 0xff]), 0, 1, at)
    } finally {
      fs.closeSync(fd)
    }
    return
  }
  assert.fail(`no journal in ${dir} holds ${marker.toString()}`)
}

for (const backend of BACKENDS) {
  describe(`expired keys cost no journal read (${backend})`, () => {
    it('answers get, has and describe for an expired key without reading its damaged record', async () => {
      const dir = tempDir('expiry-hint')
      let now = 1_700_000_000_000
      const reports: CorruptionReport[] = []
      // The heap tier is off, so every read below is the disk tier's.
      // The pread backend's "mapping" of a journal is a private copy: with nothing mapped, its sealed journals are read from the file.
      const maxMappedBytes = backend === 'pread' ? 1 : Infinity
      const options = { dir, backend, journalBytes: 64 * 1024, maxDiskBytes: Infinity, autoCompact: false, maxHeapBytes: 0, maxMappedBytes }
      const store = await openStore({ ...options, now: () => now, onCorruption: (r) => reports.push(r) })
      try {
        const expiring = Buffer.from('value-that-expires-'.repeat(4))
        const lasting = Buffer.from('value-that-lasts-'.repeat(4))
        await store.set('expiring', expiring, { ttl: 1000 })
        await store.set('lasting', lasting)
        assert.deepEqual(store.getSync('expiring'), expiring)
        // Into a sealed journal, where the damage below reaches what a read sees.
        const active = (): number | undefined => store.journalStats().find((j) => j.state === 'active')?.id
        for (let i = 0; store.describe('lasting')!.journal === active(); i++) await store.set(`filler-${i}`, Buffer.alloc(1000))
        await store.flush()
        flipInJournals(dir, expiring)
        flipInJournals(dir, lasting)
        // Past the expiry by more than the hint's rounding up to a whole second.
        now += 2001
        assert.equal(store.getSync('expiring'), undefined)
        assert.equal(store.has('expiring'), false)
        assert.equal(store.describe('expiring'), undefined)
        assert.deepEqual(reports, [], 'the expired record was read')
        // The same damage is found when the record is read: the silence above is not a missed check.
        assert.equal(store.getSync('lasting'), undefined)
        assert.equal(reports.length, 1)
      } finally {
        await store.close()
      }
    })

    it('still reads a key whose hint has not passed, and a rewritten key after its old record expired', async () => {
      const dir = tempDir('expiry-hint')
      let now = 1_700_000_000_000
      const store = await openStore({ dir, backend, maxHeapBytes: 0, now: () => now })
      try {
        await store.set('k', Buffer.from('one'), { ttl: 1500 })
        now += 1499
        assert.deepEqual(store.getSync('k'), Buffer.from('one'))
        now += 1
        assert.equal(store.getSync('k'), undefined)
        await store.set('k', Buffer.from('two'), { ttl: 1000 })
        assert.deepEqual(store.getSync('k'), Buffer.from('two'))
        assert.equal(store.has('k'), true)
        now += 5000
        assert.equal(store.has('k'), false)
        await store.set('k', Buffer.from('three'))
        assert.deepEqual(store.getSync('k'), Buffer.from('three'))
      } finally {
        await store.close()
      }
    })
  })
}
