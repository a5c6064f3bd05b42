/**
 * bench/journal: the journal engine alone, against plain fs calls on the
 * same machine in the same run.
 *
 *   npm run bench -- journal
 *
 * - append: 16-byte keys, 100-byte values, durability none (no msync), one
 *   writer, then two worker threads appending to one directory at once;
 *   baseline: one fs.writeSync per record.
 * - random reads of 100-byte values: from a sealed, mapped journal as copies
 *   (readAt, the default), as scoped views (viewAt, zero-copy) with and
 *   without the CRC check, as views copied out by the caller, and through the
 *   pread path of a cold journal; baseline: one fs.readSync per record.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { JournalDir } from '../src/journal/journal-dir.js'
import { backend } from '../src/native.js'
import { medianOf, medianRate, report, type Row } from './lib/harness.js'

const APPENDS = 1_000_000
const READS = 1_000_000
const RUNS = 5
const VALUE = Buffer.alloc(100, 0x61)
const KEY_BYTES = 16
const PAYLOAD_MB = (KEY_BYTES + VALUE.byteLength) / 1e6
const keys = Array.from({ length: APPENDS }, (_, i) => `key-${String(i).padStart(12, '0')}`)

function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-'))
}

/** Appends per second of the append loop alone: open, close (which writes pending sidecars) and clean-up are not timed. */
function appendOneWriter(): number {
  const dir = scratchDir()
  const jd = JournalDir.open(dir)
  const start = process.hrtime.bigint()
  for (let i = 0; i < APPENDS; i++) jd.append(keys[i], VALUE)
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  jd.close()
  fs.rmSync(dir, { recursive: true })
  return APPENDS / seconds
}

/** Appends per second of both writers together, timed from "go" to the last "done": thread start-up is not counted. */
async function appendTwoWriters(): Promise<number> {
  const dir = scratchDir()
  const per = APPENDS / 2
  const workers = [0, 1].map((w) => new Worker(new URL('./lib/append-worker.js', import.meta.url), { workerData: { dir, writer: w, count: per } }))
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  const start = process.hrtime.bigint()
  for (const w of workers) w.postMessage('go')
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))))
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  await Promise.all(workers.map((w) => w.terminate()))
  fs.rmSync(dir, { recursive: true })
  return APPENDS / seconds
}

function writeSyncBaseline(): number {
  const dir = scratchDir()
  const fd = fs.openSync(path.join(dir, 'log'), 'w')
  const record = Buffer.alloc(KEY_BYTES + VALUE.byteLength)
  let position = 0
  const start = process.hrtime.bigint()
  for (let i = 0; i < APPENDS; i++) {
    record.write(keys[i], 0, 'latin1')
    VALUE.copy(record, KEY_BYTES)
    position += fs.writeSync(fd, record, 0, record.byteLength, position)
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9
  fs.closeSync(fd)
  fs.rmSync(dir, { recursive: true })
  return APPENDS / seconds
}

/**
 * Two full 64 MiB journals, so the first is sealed, and READS random record
 * offsets inside it, kept in a typed array as the store's index keeps them.
 */
function readFixture(): { dir: string; offsets: Uint32Array; length: number } {
  const dir = scratchDir()
  const jd = JournalDir.open(dir)
  const inFirst: number[] = []
  let length = 0
  for (let i = 0; jd.journalIds().length < 2; i++) {
    const at = jd.append(keys[i % APPENDS], VALUE)
    if (at.journalId === 1) inFirst.push(at.offset)
    length = at.length
  }
  jd.close()
  const offsets = new Uint32Array(READS)
  for (let i = 0; i < READS; i++) offsets[i] = inFirst[Math.floor(Math.random() * inFirst.length)]
  return { dir, offsets, length }
}

/** `read`: readAt (the value is a copy of the caller's own), or viewAt (a scoped view), optionally copied out after. */
function readLoop(jd: JournalDir, f: ReturnType<typeof readFixture>, read: 'readAt' | 'viewAt', copy = false): number {
  let sink = 0
  for (let i = 0; i < READS; i++) {
    const value = jd[read](1, f.offsets[i], f.length)!.value
    sink += copy ? Buffer.from(value).byteLength : value.byteLength
  }
  if (sink !== READS * VALUE.byteLength) throw new Error('a read came back short')
  return READS
}

function readSyncBaseline(f: ReturnType<typeof readFixture>): number {
  const fd = fs.openSync(path.join(f.dir, '00000001.journal'), 'r')
  const buf = Buffer.alloc(256)
  let sink = 0
  for (let i = 0; i < READS; i++) sink += fs.readSync(fd, buf, 0, f.length, f.offsets[i])
  fs.closeSync(fd)
  if (sink !== READS * f.length) throw new Error('a read came back short')
  return READS
}

const rows: Row[] = []
const add = (name: string, opsPerSec: number, vs?: string, note?: string, payload = true) =>
  rows.push({ name, opsPerSec, mbPerSec: payload ? opsPerSec * PAYLOAD_MB : undefined, vs, note })

console.log(`backend: ${backend()}; ${APPENDS.toLocaleString()} appends and ${READS.toLocaleString()} reads per run, median of ${RUNS}`)
add('fs.writeSync per record', await medianOf(RUNS, async () => writeSyncBaseline()))
add('append, 1 writer', await medianOf(RUNS, async () => appendOneWriter()), 'fs.writeSync per record', 'durability none')
add('append, 2 worker threads', await medianOf(RUNS, appendTwoWriters), 'append, 1 writer', 'aggregate of both')

const fixture = readFixture()
add('fs.readSync per record', medianRate(RUNS, () => readSyncBaseline(fixture)))
const checked = JournalDir.open(fixture.dir)
const unchecked = JournalDir.open(fixture.dir, { verifyReads: false })
add('read mapped, readAt (copy), CRC on', medianRate(RUNS, () => readLoop(checked, fixture, 'readAt')), 'fs.readSync per record', 'the default')
add('read mapped, viewAt, CRC on', medianRate(RUNS, () => readLoop(checked, fixture, 'viewAt')), 'read mapped, readAt (copy), CRC on', 'zero-copy, scoped')
add('read mapped, viewAt, CRC off', medianRate(RUNS, () => readLoop(unchecked, fixture, 'viewAt')), 'fs.readSync per record', 'zero-copy, scoped')
add('read mapped, viewAt + Buffer.from, CRC on', medianRate(RUNS, () => readLoop(checked, fixture, 'viewAt', true)), 'read mapped, readAt (copy), CRC on', 'copied by the caller')
checked.journal(1)!.makeCold()
add('read cold (pread), CRC on', medianRate(RUNS, () => readLoop(checked, fixture, 'readAt')), 'fs.readSync per record')
checked.close()
unchecked.close()
fs.rmSync(fixture.dir, { recursive: true })

report('journal', 'spillway journal engine: appends and random reads, 100-byte values', rows, { backend: backend() })
