import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { CorruptionReason, RecoveryMode } from '../../src/journal/corruption.js'
import { HDR_CREATED_AT, hintFileName } from '../../src/journal/format.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

/** A directory of two journals whose first, sealed, has a damaged header (a byte the header CRC covers). */
function damagedHeader(backend: (typeof BACKENDS)[number], keepHint: boolean): { dir: string; keys: string[] } {
  const dir = tempDir('salvage-header')
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
  const keys: string[] = []
  for (let i = 0; jd.journalIds().length < 2; i++) {
    const at = jd.append(`key-${i}`, Buffer.alloc(500, i))
    if (at.journalId === 1) keys.push(`key-${i}`)
  }
  jd.sync()
  jd.close()
  const file = path.join(dir, '00000001.journal')
  const bytes = fs.readFileSync(file)
  bytes[HDR_CREATED_AT] ^= 0xff
  fs.writeFileSync(file, bytes)
  if (!keepHint) fs.rmSync(path.join(dir, hintFileName(1)), { force: true })
  return { dir, keys }
}

function replayed(dir: string, backend: (typeof BACKENDS)[number], recovery: RecoveryMode): { keys: string[]; reasons: CorruptionReason[] } {
  const reasons: CorruptionReason[] = []
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, recovery, onCorruption: (r) => reasons.push(r.reason) })
  const keys: string[] = []
  jd.replay((e) => {
    if (e.journalId === 1 && jd.read({ journalId: e.journalId, offset: e.offset, length: e.length }) !== undefined) keys.push(Buffer.from(e.key).toString())
  })
  jd.close()
  return { keys, reasons }
}

for (const backend of BACKENDS) {
  describe(`a journal whose header fails its CRC (${backend} backend)`, () => {
    for (const keepHint of [false, true]) {
      it(`salvage keeps every record that checks out (${keepHint ? 'with' : 'without'} its hint file)`, () => {
        const { dir, keys } = damagedHeader(backend, keepHint)
        const { keys: found, reasons } = replayed(dir, backend, 'salvage')
        assert.deepEqual(found, keys)
        assert.ok(reasons.includes('bad-header'), 'the damage is still reported')
      })
    }

    it('point-in-time still skips the whole journal, and reports it', () => {
      const { dir } = damagedHeader(backend, false)
      const { keys, reasons } = replayed(dir, backend, 'point-in-time')
      assert.deepEqual(keys, [])
      assert.deepEqual(reasons, ['bad-header'])
    })
  })
}
