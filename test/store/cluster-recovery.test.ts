import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { JournalDir, openStore } from '../../src/index.js'
import { availableBackends } from '../../src/native.js'
import { journalFileName } from '../../src/journal/format.js'
import { recoveryStepHook } from '../../src/store/recovery-point.js'
import { startLockstepWriter } from '../helpers/lockstep-writer.js'
import { tempDir } from '../helpers/temp-dir.js'


/**
 * Issue 11 with point-in-time recovery (src/store/recovery-point.ts): a
 * process that opens a shared directory and finds damage appends tombstones
 * for the keys written after it. Another process may write one of those keys
 * meanwhile; its acknowledged write must not be deleted by a tombstone that
 * lands after it in the log.
 */
describe('recovery at open in a directory other processes write (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('a recovery tombstone never deletes a write another process made before it in the log', async (t) => {
    const dir = tempDir('cluster-recovery')
    const first = await openStore({ dir, durability: 'always' })
    for (const [key, value] of [['before', 'kept'], ['victim', 'damaged'], ['rewritten', 'old'], ['after', 'forgotten']]) await first.set(key, value)
    await first.close()
    const records = new Map<string, { offset: number; length: number }>()
    const journals = JournalDir.open(dir, {})
    const journalId = journals.activeJournalId()!
    journals.replayJournal(journalId, (e) => records.set(Buffer.from(e.key).toString(), { offset: e.offset, length: e.length }))
    journals.close()
    // The journal that holds the records, by its id: the last file by name may be one made since.
    const file = journalFileName(journalId)
    assert.ok(fs.existsSync(path.join(dir, file)), `${file} among ${fs.readdirSync(dir).join(', ')}`)

    const writer = await startLockstepWriter(dir)
    const ask = (request: string) => writer.ask(request)
    try {
      // Damage the victim's last value byte (covered by its CRC only) under the writer, which has it mapped already.
      const victim = records.get('victim')!
      const fd = fs.openSync(path.join(dir, file), 'r+')
      const byte = Buffer.alloc(1)
      const at = victim.offset + victim.length - 1
      fs.readSync(fd, byte, 0, 1, at)
      byte[0] ^= 0x5a
      fs.writeSync(fd, byte, 0, 1, at)
      fs.closeSync(fd)

      // Just before the opener appends the tombstone of `rewritten`, the writer acknowledges a newer value of it.
      let rewrites = 0
      recoveryStepHook.beforeTombstone = (key) => {
        if (Buffer.from(key).toString() !== 'rewritten') return
        rewrites++
        ask('set rewritten new')
      }
      const reports: string[] = []
      let opener
      try {
        opener = await openStore({ dir, onCorruption: (r) => reports.push(r.reason) })
      } finally {
        recoveryStepHook.beforeTombstone = undefined
      }
      t.diagnostic(`reports at open: ${reports.join(', ')}; files: ${fs.readdirSync(dir).join(', ')}`)
      assert.equal(rewrites, 1, 'the opener found the damage and went to forget the key written after it')
      try {
        assert.equal((await opener.get('rewritten'))?.toString(), 'new', 'the opener serves the newer write')
        assert.equal(await opener.get('after'), undefined, 'a key written after the damage is forgotten')
      } finally {
        await opener.close()
      }
      ask('close')
    } finally {
      await writer.stop()
    }
    const reopened = await openStore({ dir })
    try {
      assert.equal((await reopened.get('rewritten'))?.toString(), 'new', 'the acknowledged write survives the next open')
      assert.equal((await reopened.get('before'))?.toString(), 'kept')
      assert.equal(await reopened.get('after'), undefined, 'what the recovery forgot stays forgotten')
    } finally {
      await reopened.close()
    }
  })
})
