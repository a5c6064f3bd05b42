import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import type { CorruptionReport, RecoveryMode } from '../../src/journal/corruption.js'
import { HDR_TAIL, journalFileName } from '../../src/journal/format.js'
import { readHeader } from '../../src/journal/header.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { byteView, decodeRecord } from '../../src/journal/record.js'
import { scanJournal } from '../../src/journal/scanner.js'
import { SpillwayError } from '../../src/errors.js'
import { tempDir } from '../helpers/temp-dir.js'
import { valueFor } from '../helpers/records.js'

/**
 * In the manner of leveldb's log_test: damage a sample journal one byte at a
 * time and check that recovery either returns each record exactly as written
 * or reports it, and never returns wrong bytes.
 */
const SIZES = [0, 1, 7, 8, 9, 31, 100, 300, 64, 2]
const FILE = 'sample.journal'

function sampleJournal(): { bytes: Uint8Array; offsets: number[]; tail: number } {
  const dir = tempDir('flips')
  const jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend: 'pread' })
  const offsets = SIZES.map((size, i) => jd.append(`key-${i}`, valueFor(`key-${i}`, i, size), { expiresAt: i * 1000 }).offset)
  jd.close()
  const bytes = fs.readFileSync(path.join(dir, journalFileName(1)))
  return { bytes, offsets, tail: Number(bytes.readBigUInt64LE(HDR_TAIL)) }
}

/** Recovery of a byte image as Journal.open and Journal.scan do it, without the file I/O. */
function recover(bytes: Uint8Array, mode: RecoveryMode): { records: Map<number, Uint8Array>; reports: CorruptionReport[] } | 'refused' {
  try {
    readHeader(bytes, FILE)
  } catch (err) {
    assert.ok(err instanceof SpillwayError, 'a refused header is a typed error')
    return 'refused'
  }
  const view = byteView(bytes.buffer, bytes.byteOffset, bytes.byteLength, true)
  const reports: CorruptionReport[] = []
  const tail = Number(Buffer.from(bytes.buffer, bytes.byteOffset).readBigUInt64LE(HDR_TAIL))
  const { offsets } = scanJournal({ view, file: FILE, limit: bytes.byteLength, tail, mode, onCorruption: (r) => reports.push(r) })
  const records = new Map<number, Uint8Array>()
  for (const offset of offsets) {
    const info = decodeRecord(view, offset)
    records.set(offset, Uint8Array.from(bytes.subarray(offset, offset + info.length)))
  }
  return { records, reports }
}

describe('byte flips', () => {
  const sample = sampleJournal()
  const original = recover(sample.bytes, 'salvage')
  assert.ok(original !== 'refused')

  it('the undamaged sample recovers every record with no report', () => {
    assert.deepEqual([...original.records.keys()], sample.offsets)
    assert.equal(original.reports.length, 0)
  })

  for (const mode of ['salvage', 'point-in-time', 'tolerate-tail'] as const) {
    it(`every single-byte flip yields correct records or a report (${mode})`, () => {
      let refused = 0
      let reported = 0
      const end = sample.tail + 64
      for (let at = 0; at < end; at++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const damaged = Uint8Array.from(sample.bytes.subarray(0, 2 * 4096 + 4096))
          damaged[at] ^= mask
          const got = recover(damaged, mode)
          if (got === 'refused') {
            refused++
            continue
          }
          for (const [offset, bytes] of got.records) {
            const want = original.records.get(offset)
            assert.ok(want, `flip at ${at}^${mask}: a record appeared at ${offset} that was never written`)
            assert.deepEqual(bytes, want, `flip at ${at}^${mask}: record at ${offset} came back with wrong bytes`)
          }
          const missing = sample.offsets.filter((o) => !got.records.has(o))
          if (missing.length > 0) {
            reported++
            for (const offset of missing) {
              assert.ok(got.reports.some((r) => r.reason === 'journal-rejected' ||
                (offset >= r.offset && offset < r.offset + Math.max(r.length, 1))),
              `flip at ${at}^${mask}: record at ${offset} vanished without a report`)
            }
          }
        }
      }
      assert.ok(refused > 0, 'flips in the static header are refused')
      assert.ok(reported > 0, 'flips in records are reported')
    })
  }

  it('a record that fails its CRC is never returned by a read, and is reported', () => {
    const dir = tempDir('read-crc')
    const reports: CorruptionReport[] = []
    let jd = JournalDir.open(dir, { journalBytes: 64 * 1024, backend: 'pread', onCorruption: (r) => reports.push(r) })
    const at = jd.append('key', valueFor('key', 0, 100))
    jd.close()
    const file = path.join(dir, journalFileName(1))
    const fd = fs.openSync(file, 'r+')
    fs.writeSync(fd, Buffer.from([0x5a]), 0, 1, at.offset + 80)
    fs.closeSync(fd)
    jd = JournalDir.open(dir, { journalBytes: 64 * 1024, onCorruption: (r) => reports.push(r) })
    assert.equal(jd.read(at), undefined)
    assert.ok(reports.some((r) => r.reason === 'corrupt-record' && r.offset === at.offset))
    jd.close()
  })
})
