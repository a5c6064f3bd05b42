import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { crc32c } from '../../src/crc32c.js'
import { HDR_TAIL, journalFileName } from '../../src/journal/format.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { tempDir } from '../helpers/temp-dir.js'

describe('FORMAT.md worked example', () => {
  it('the record for "k1" = "hello" has exactly the documented bytes', () => {
    const dir = tempDir('example')
    const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, now: () => 1_700_000_000_000 })
    jd.append('k1', 'hello')
    jd.close()
    const file = fs.readFileSync(path.join(dir, journalFileName(1)))
    const record = file.subarray(4096, 4096 + 40)
    const crc = crc32c(0, record, 8, 31)
    const expected = Buffer.from([
      '27000000', crc.toString(16).padStart(8, '0').match(/../g)!.reverse().join(''),
      '0000', '0200', '05000000',
      '0000805 6febc7842'.replace(/ /g, ''), '0000000000000000',
      '6b31', '68656c6c6f', '00',
    ].join(''), 'hex')
    assert.deepEqual(record, expected)
    assert.equal(file.readUInt32LE(4096 + 4), crc)
    assert.equal(file.readBigUInt64LE(HDR_TAIL), 4136n)
    assert.equal(file.subarray(0, 4).toString('latin1'), 'SPWJ')
  })
})
