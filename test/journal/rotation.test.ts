import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { HEADER_BYTES, journalFileName } from '../../src/journal/format.js'
import { readHeader } from '../../src/journal/header.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

function createdAt(dir: string, id: number): number {
  const file = path.join(dir, journalFileName(id))
  const page = new Uint8Array(HEADER_BYTES)
  const fd = fs.openSync(file, 'r')
  fs.readSync(fd, page, 0, HEADER_BYTES, 0)
  fs.closeSync(fd)
  return readHeader(page, file).createdAt
}

/**
 * Journals built ahead under their private names. Not sidecars: the sidecar
 * worker thread writes a sealed journal's hint under a `.tmp` name of its
 * own at any moment, on its own clock (a loaded run once caught
 * `.00000004.hint.….tmp` here).
 */
const privateFiles = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith('.tmp') && name.includes('.journal.'))

for (const backend of BACKENDS) {
  describe(`rotation (${backend} backend)`, () => {
    it('builds the next journal off the thread once the active one is half full, and a rotation links it into place', async () => {
      const dir = tempDir('rotation')
      let now = 1000
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, now: () => now })
      const value = Buffer.alloc(1000, 7)
      do jd.append('k', value)
      while (jd.diskBytes() === JOURNAL_BYTES)
      const tail = jd.journal(1)!.tail
      assert.ok(tail > JOURNAL_BYTES / 2 && tail < JOURNAL_BYTES / 2 + 2000, `started by the first append past half the journal (tail ${tail})`)
      assert.equal(jd.diskBytes(), 2 * JOURNAL_BYTES, 'the next journal counts towards the disk in use from the start')
      await jd.backgroundSettled()
      assert.equal(privateFiles(dir).length, 1, 'the next journal waits under a private name')
      assert.deepEqual(jd.journalIds(), [1], 'and is not a journal yet')
      now = 2000
      while (jd.activeJournalId() === 1) jd.append('k', value)
      assert.equal(jd.activeJournalId(), 2)
      assert.equal(createdAt(dir, 2), 1000, 'journal 2 is the one built in advance')
      await jd.backgroundSettled()
      assert.deepEqual(privateFiles(dir), [], 'its private name is removed off the writer\'s path')
      jd.close()
    })

    it('a writer that never yields rotates without it and leaves nothing behind; close removes a prepared journal', async () => {
      const dir = tempDir('rotation-sync')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      for (let i = 0; i < 300; i++) jd.append(`k${i}`, Buffer.alloc(1000, i))
      assert.ok(jd.journalIds().length >= 4)
      assert.deepEqual(privateFiles(dir), [], 'no build was started')
      while (jd.journal(jd.activeJournalId()!)!.tail <= JOURNAL_BYTES / 2 + 1100) jd.append('k', Buffer.alloc(1000))
      await jd.backgroundSettled()
      assert.equal(privateFiles(dir).length, 1)
      jd.close()
      assert.deepEqual(privateFiles(dir), [], 'close removed it')
      const reopened = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      let records = 0
      reopened.replay(() => records++)
      assert.ok(records > 300)
      reopened.close()
    })

    it('a build that finishes after its journal was made without it links nothing', async () => {
      const dir = tempDir('rotation-late')
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      do jd.append('k', Buffer.alloc(1000))
      while (jd.journal(1)!.tail < JOURNAL_BYTES / 2)
      // The build starts on the next turn; the writer fills journal 1 and moves on before it can finish.
      await nextTurn()
      while (jd.activeJournalId() === 1) jd.append('k', Buffer.alloc(1000))
      await jd.backgroundSettled()
      assert.deepEqual(privateFiles(dir), [])
      assert.deepEqual(fs.readdirSync(dir).filter((n) => n.endsWith('.journal')), [journalFileName(1), journalFileName(2)])
      assert.equal(jd.diskBytes(), 2 * JOURNAL_BYTES)
      jd.close()
    })
  })
}
