import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { holdTempFile, removeAbandonedTempFiles } from '../../src/journal/temp-files.js'
import { availableBackends, mappingFor } from '../../src/native.js'
import { tempDir } from '../helpers/temp-dir.js'

/** A pid no process has: above the kernel's pid_max (at most 2^22). */
const NO_SUCH_PID = 9_999_999

describe('temporary files at open (issue 7 §4)', { skip: !availableBackends().includes('mmap') && 'no flock without the native addon: the pid decides' }, () => {
  it('a writer whose file an opener took between its creation and its lock is told so, and builds it again', () => {
    const dir = tempDir('temp-race')
    const name = `.00000002.journal.sync.${process.pid}.0.tmp`
    const file = path.join(dir, name)
    // The opener locks the unheld file first: the writer's lock fails.
    let fd = fs.openSync(file, 'wx+')
    const opener = fs.openSync(file, 'r')
    assert.ok(mappingFor('mmap').lock(opener, 'exclusive'))
    assert.equal(holdTempFile(fd, file), false, 'the opener holds it')
    fs.closeSync(opener)
    fs.closeSync(fd)
    fs.rmSync(file)
    // The opener has removed it already: the lock is the writer's, but on a file no name reaches.
    fd = fs.openSync(file, 'wx+')
    removeAbandonedTempFiles(dir, [name])
    assert.equal(holdTempFile(fd, file), false, 'its name is gone')
    fs.closeSync(fd)
    // Unraced, the writer holds it, and an opener leaves it alone.
    fd = fs.openSync(file, 'wx+')
    assert.equal(holdTempFile(fd, file), true)
    removeAbandonedTempFiles(dir, [name])
    assert.equal(fs.existsSync(file), true)
    fs.closeSync(fd)
  })

  it('a file its writer holds locked stays, whatever pid its name holds; one no one holds goes, even under a live pid', () => {
    const dir = tempDir('temp-files')
    // A live writer in another pid namespace: its pid means nothing here, its lock does.
    const held = path.join(dir, `.00000007.journal.next.${NO_SUCH_PID}.0.tmp`)
    // Left by a writer whose pid is alive (ours) but which no longer holds it.
    const abandoned = path.join(dir, `.00000003.hint.${process.pid}.0.tmp`)
    fs.writeFileSync(held, 'being built')
    fs.writeFileSync(abandoned, 'left behind')
    const fd = fs.openSync(held, 'r')
    assert.ok(mappingFor('mmap').lock(fd, 'exclusive'))
    const jd = JournalDir.open(dir, { journalBytes: 64 * 1024 })
    jd.close()
    assert.equal(fs.existsSync(held), true, 'the held file is left to its writer')
    assert.equal(fs.existsSync(abandoned), false, 'the abandoned file is removed')
    fs.closeSync(fd)
    JournalDir.open(dir, { journalBytes: 64 * 1024 }).close()
    assert.equal(fs.existsSync(held), false, 'once its writer lets go, it is removed too')
  })
})
