import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { availableBackends } from '../../src/native.js'
import { isValueFor, text } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const APPENDER = new URL('./fixtures/appender.js', import.meta.url)
const JOURNAL_BYTES = 64 * 1024
const PER_WRITER = 4000

/** Replays the directory and checks that each writer's records are all there, once each, with their values. */
function assertEveryRecordOnce(dir: string, writers: number): number {
  const reports: CorruptionReport[] = []
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, onCorruption: (r) => reports.push(r) })
  const seen = new Map<string, number>()
  jd.replay((e) => {
    const key = text(e.key)
    seen.set(key, (seen.get(key) ?? 0) + 1)
    const got = jd.read(e)
    assert.ok(got && isValueFor(key, Number(key.split('-')[1]), got.value), `${key} is whole`)
  })
  const journals = jd.journalIds().length
  jd.close()
  assert.deepEqual(reports, [])
  for (let w = 0; w < writers; w++) {
    for (let seq = 0; seq < PER_WRITER; seq++) assert.equal(seen.get(`w${w}-${seq}`), 1, `w${w}-${seq} read back once`)
  }
  assert.equal(seen.size, writers * PER_WRITER)
  return journals
}

// The pread backend's "mapping" is a private copy, so it cannot share a tail
// word between writers: src/native-fallback.ts documents it. These tests are
// for the mmap backend only.
const mmap = availableBackends().includes('mmap')

describe('concurrent appenders on one directory', { skip: !mmap && 'the pread backend cannot claim space atomically across writers' }, () => {
  it('child processes append at once through several rotations', async () => {
    const dir = tempDir('procs')
    const writers = 3
    const children = Array.from({ length: writers }, (_, w) =>
      spawn(process.execPath, [APPENDER.pathname, dir, String(w), String(PER_WRITER), String(JOURNAL_BYTES)], { stdio: ['ignore', 'pipe', 'inherit'] }))
    const codes = await Promise.all(children.map(async (child) => (await once(child, 'exit'))[0]))
    assert.deepEqual(codes, children.map(() => 0))
    const journals = assertEveryRecordOnce(dir, writers)
    assert.ok(journals >= 10, `${journals} journals`)
  })

  it('worker threads append at once through several rotations', async () => {
    const dir = tempDir('threads')
    const writers = 2
    const workers = Array.from({ length: writers }, (_, w) =>
      new Worker(APPENDER, { workerData: { dir, writer: w, count: PER_WRITER, journalBytes: JOURNAL_BYTES } }))
    const messages = workers.map(async (worker) => (await once(worker, 'message'))[0])
    const exits = workers.map(async (worker) => (await once(worker, 'exit'))[0])
    assert.deepEqual(await Promise.all(messages), workers.map(() => 'done'))
    assert.deepEqual(await Promise.all(exits), workers.map(() => 0))
    const journals = assertEveryRecordOnce(dir, writers)
    assert.ok(journals >= 5, `${journals} journals`)
  })
})
