import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { Worker } from 'node:worker_threads'
import type { CorruptionReport, RecoveryMode } from '../../src/journal/corruption.js'
import { HDR_TAIL, journalFileName, parseJournalFileName } from '../../src/journal/format.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { availableBackends } from '../../src/native.js'
import { isValueFor, text, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Opening a directory while other threads and processes append to it (issue
 * 8, finding 1): every open must see only published records, report nothing
 * (no writer dies here, so there is no damage to report), join the active
 * journal instead of starting one of its own, and never write a hint that
 * leaves out a record. After the writers stop, one last open must find every
 * acknowledged record exactly once.
 */
const LIVE_APPENDER = new URL('./fixtures/live-appender.js', import.meta.url)
const JOURNAL_BYTES = 256 * 1024
const OPENS = 15
const MODES: RecoveryMode[] = ['point-in-time', 'tolerate-tail', 'salvage']

interface Writer {
  name: string
  started: Promise<unknown>
  /** Asks the writer to stop; resolves the number of appends it had acknowledged. */
  stop(): Promise<number>
  /** Ends it at once (after a failed assertion). */
  kill(): void
}

function threadWriter(dir: string, name: string): Writer {
  const worker = new Worker(LIVE_APPENDER, { workerData: { dir, writer: name, journalBytes: JOURNAL_BYTES } })
  // once() rejects on 'error': a writer that throws fails the test instead of leaving it waiting.
  const started = once(worker, 'message')
  return {
    name,
    started,
    async stop() {
      await started
      const acked = once(worker, 'message')
      worker.postMessage('stop')
      const [count] = await acked
      const [code] = await once(worker, 'exit')
      assert.equal(code, 0)
      return count as number
    },
    kill: () => void worker.terminate(),
  }
}

function processWriter(dir: string, name: string): Writer {
  const child: ChildProcess = spawn(process.execPath, [LIVE_APPENDER.pathname, dir, name, String(JOURNAL_BYTES)],
    { stdio: ['pipe', 'pipe', 'inherit'] })
  let out = ''
  child.stdout!.setEncoding('utf8')
  const started = new Promise<void>((resolve) => child.stdout!.on('data', (chunk: string) => {
    out += chunk
    if (out.includes('started\n')) resolve()
  }))
  const exited = once(child, 'exit')
  return {
    name,
    started,
    async stop() {
      await started
      child.stdin!.end()
      const [code] = await exited
      assert.equal(code, 0)
      const m = /acked (\d+)/.exec(out)
      assert.ok(m, `writer ${name} reported its count: ${out}`)
      return Number(m[1])
    },
    kill: () => child.kill('SIGKILL'),
  }
}

/** Journal files that are not the newest and were left before they were full: abandoned by someone. */
function abandonedJournals(dir: string): number[] {
  const ids = fs.readdirSync(dir).map(parseJournalFileName).filter((id): id is number => id !== undefined).sort((a, b) => a - b)
  return ids.slice(0, -1).filter((id) => {
    const fd = fs.openSync(path.join(dir, journalFileName(id)), 'r')
    const word = Buffer.alloc(8)
    fs.readSync(fd, word, 0, 8, HDR_TAIL)
    fs.closeSync(fd)
    return Number(word.readBigUInt64LE()) < JOURNAL_BYTES
  })
}

async function openRepeatedly(dir: string, writers: Writer[]): Promise<void> {
  try {
    await openBesideWriters(dir, writers)
  } catch (err) {
    for (const w of writers) w.kill()
    throw err
  }
}

async function openBesideWriters(dir: string, writers: Writer[]): Promise<void> {
  await Promise.all(writers.map((w) => w.started))
  const reports: CorruptionReport[] = []
  const openerKeys: string[] = []
  for (let i = 0; i < OPENS; i++) {
    const recovery = MODES[i % MODES.length]
    const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, recovery, onCorruption: (r) => reports.push(r) })
    let replayed = 0
    jd.replay((e) => {
      const key = text(e.key)
      const got = jd.read(e)
      assert.ok(got && isValueFor(key, Number(key.split('-')[1]), got.value), `open ${i}: ${key} is whole`)
      replayed++
    })
    assert.ok(replayed > 0, `open ${i} replayed records`)
    for (let j = 0; j < 3; j++) {
      const key = `o${i}-${j}`
      jd.append(key, valueFor(key, j, 40))
      openerKeys.push(key)
    }
    jd.close()
    assert.deepEqual(reports, [], `open ${i} (${recovery}) reported nothing`)
    assert.deepEqual(abandonedJournals(dir), [], `after open ${i}, no journal was abandoned before it was full`)
    // Let the writers' event loops run (and this one settle), as a server between requests would.
    await new Promise((resolve) => setImmediate(resolve))
  }
  const acked = new Map<string, number>()
  for (const w of writers) acked.set(w.name, await w.stop())

  const seen = new Map<string, number>()
  const last = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, onCorruption: (r) => reports.push(r) })
  last.replay((e) => {
    const key = text(e.key)
    seen.set(key, (seen.get(key) ?? 0) + 1)
  })
  last.close()
  assert.deepEqual(reports, [], 'the last open reported nothing')
  for (const [name, count] of acked) {
    assert.ok(count > 0, `${name} appended`)
    for (let seq = 0; seq < count; seq++) assert.equal(seen.get(`${name}-${seq}`), 1, `${name}-${seq} replayed once`)
  }
  for (const key of openerKeys) assert.equal(seen.get(key), 1, `the opener's ${key} replayed once`)
  assert.deepEqual(abandonedJournals(dir), [])
}

const mmap = availableBackends().includes('mmap')

describe('opening a directory beside live writers (mmap backend)', { skip: !mmap && 'only the mmap backend shares a directory' }, () => {
  it('worker threads appending: each open sees published records only, reports nothing, and joins the active journal', async () => {
    const dir = tempDir('open-threads')
    await openRepeatedly(dir, [threadWriter(dir, 't0'), threadWriter(dir, 't1')])
  })

  it('child processes appending: the same', async () => {
    const dir = tempDir('open-procs')
    await openRepeatedly(dir, [processWriter(dir, 'p0'), processWriter(dir, 'p1')])
  })

  it('threads and processes appending at once: the same', async () => {
    const dir = tempDir('open-mixed')
    await openRepeatedly(dir, [threadWriter(dir, 't0'), processWriter(dir, 'p0')])
  })
})
