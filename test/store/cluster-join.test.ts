import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { replayScanHook } from '../../src/journal/journal-replay.js'
import { availableBackends } from '../../src/native.js'
import { startLockstepWriter } from '../helpers/lockstep-writer.js'
import { tempDir } from '../helpers/temp-dir.js'


/**
 * Found by test/store/cluster-kills.test.ts under load: a process joining a
 * directory whose active journal another process appended to right after
 * the joiner's scan of it took the scan for one stopped at damage, and
 * started following at the journal's end. It never applied those records,
 * and its compaction then dropped them (or moved an older value over them).
 */
describe('joining a directory while another process appends (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('a record appended just after the joiner scanned the active journal is followed', async () => {
    const dir = tempDir('cluster-join')
    const writer = await startLockstepWriter(dir)
    const ask = (request: string) => writer.ask(request)
    try {
      ask('set before 1')
      let appended = 0
      replayScanHook.afterScan = () => {
        if (appended++ === 0) ask('set during 2')
      }
      let joiner
      try {
        joiner = await openStore({ dir })
      } finally {
        replayScanHook.afterScan = undefined
      }
      try {
        assert.equal(appended > 0, true, 'the joiner scanned a journal')
        ask('set after 3')
        assert.equal((await joiner.get('before'))?.toString(), '1')
        assert.equal((await joiner.get('during'))?.toString(), '2', 'the record appended right after the scan is followed')
        assert.equal((await joiner.get('after'))?.toString(), '3')
      } finally {
        await joiner.close()
      }
      ask('close')
    } finally {
      await writer.stop()
    }
  })
})
