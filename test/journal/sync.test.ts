import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

/**
 * The files that got an fdatasync while `run` ran, by path. A cold journal
 * has no mapping, so a flush of its file can only go through its descriptor:
 * counting fdatasync calls on it is what "its bytes were made durable" means
 * there. (Mapped journals are flushed with msync, which this does not see.)
 */
async function filesDatasynced(run: () => void | Promise<void>): Promise<Set<string>> {
  const seen = new Set<string>()
  const note = (fd: number) => {
    try {
      seen.add(fs.readlinkSync(`/proc/self/fd/${fd}`))
    } catch {
      // A descriptor that is already gone flushes nothing.
    }
  }
  const sync = fs.fdatasyncSync
  const async = fs.fdatasync
  fs.fdatasyncSync = (fd) => {
    note(fd)
    sync(fd)
  }
  fs.fdatasync = ((fd: number, cb: fs.NoParamCallback) => {
    note(fd)
    async(fd, cb)
  }) as typeof fs.fdatasync
  try {
    await run()
  } finally {
    fs.fdatasyncSync = sync
    fs.fdatasync = async
  }
  return seen
}

/** Appends until at least three journals are sealed, all of them cold. */
function coldJournals(dir: string, backend: (typeof BACKENDS)[number]): { jd: JournalDir; cold: string[] } {
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, maxMappedBytes: 1, backend })
  after(() => jd.close())
  jd.sync()
  for (let i = 0; jd.journalIds().length < 4; i++) jd.append(`key-${i}`, Buffer.alloc(900, i))
  const sealed = jd.journalIds().slice(0, -1)
  for (const id of sealed) assert.equal(jd.journal(id)!.mapped, false, `journal ${id} is cold`)
  return { jd, cold: sealed.map((id) => jd.journal(id)!.file) }
}

for (const backend of BACKENDS) {
  describe(`sync of cold journals (${backend} backend)`, () => {
    it('sync() flushes journals that went cold since the last sync', async () => {
      const { jd, cold } = coldJournals(tempDir('sync-cold'), backend)
      const flushed = await filesDatasynced(() => jd.sync())
      for (const file of cold) assert.ok(flushed.has(file), `${path.basename(file)} was flushed; flushed: ${[...flushed]}`)
      // Flushed once: the next sync has nothing of this thread's left to flush there.
      const again = await filesDatasynced(() => jd.sync())
      for (const file of cold) assert.ok(!again.has(file), `${path.basename(file)} flushed twice`)
    })

    it('syncAsync() flushes journals that went cold since the last sync', async () => {
      const { jd, cold } = coldJournals(tempDir('sync-async-cold'), backend)
      const flushed = await filesDatasynced(() => jd.syncAsync())
      for (const file of cold) assert.ok(flushed.has(file), `${path.basename(file)} was flushed; flushed: ${[...flushed]}`)
    })

    it('close() right after syncAsync() lets the flush finish on the right file', async () => {
      const dir = tempDir('sync-close')
      for (let round = 0; round < 50; round++) {
        const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
        jd.append(`round-${round}`, Buffer.alloc(100, round))
        const flushing = jd.syncAsync()
        jd.close()
        await flushing
      }
      const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
      let records = 0
      jd.replay(() => records++)
      jd.close()
      assert.equal(records, 50)
    })
  })
}
