import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { BACKENDS } from '../helpers/backends.js'
import { isValueFor, text } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

const CRASHER = new URL('./fixtures/crash-appender.js', import.meta.url)
const JOURNAL_BYTES = 64 * 1024
const KILLS = 10
/**
 * What a SIGKILL may leave behind. With a real mapping every byte stored is in
 * the page cache, so only claims that were never published show (holes). The
 * pread backend writes back with pwrite, data before the header page, so a
 * kill can also leave a partial write or a tail word that lags the data.
 */
const CRASH_ARTIFACTS: Record<string, string[]> = { mmap: ['hole'], pread: ['hole', 'torn-tail', 'bad-header'] }

/** Runs the appender until it has reported a few durable syncs, then kills it at a random moment. */
async function runAndKill(dir: string, firstSeq: number, backend: string): Promise<number> {
  const child = spawn(process.execPath, [CRASHER.pathname, dir, String(firstSeq), String(JOURNAL_BYTES)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPILLWAY_BACKEND: backend } })
  let durable = firstSeq - 1
  let lines = 0
  let pending = ''
  const killAfter = 3 + Math.floor(Math.random() * 60)
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    pending += chunk
    const parts = pending.split('\n')
    pending = parts.pop()!
    for (const line of parts) {
      durable = Number(line)
      if (++lines === killAfter) setTimeout(() => child.kill('SIGKILL'), Math.random() * 5)
    }
  })
  const [code, signal] = await once(child, 'exit')
  assert.equal(signal, 'SIGKILL', `appender exited with ${code} before it was killed`)
  return durable
}

for (const backend of BACKENDS) {
  describe(`crash recovery (${backend} backend)`, () => {
    it(`keeps every synced record across ${KILLS} SIGKILLs at random moments`, async () => {
      const dir = tempDir('crash')
      let next = 0
      for (let kill = 0; kill < KILLS; kill++) {
        const durable = await runAndKill(dir, next, backend)
        const reports: CorruptionReport[] = []
        const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend, onCorruption: (r) => reports.push(r) })
        const seen = new Set<number>()
        jd.replay((e) => {
          const seq = Number(text(e.key).slice(4))
          assert.ok(!seen.has(seq), `seq ${seq} replayed twice`)
          seen.add(seq)
          const got = jd.read(e)
          assert.ok(got && isValueFor(`seq-${seq}`, seq, got.value), `seq ${seq} is whole`)
        })
        jd.close()
        for (let seq = 0; seq <= durable; seq++) assert.ok(seen.has(seq), `kill ${kill}: synced seq ${seq} survived`)
        for (const r of reports) assert.ok(CRASH_ARTIFACTS[backend].includes(r.reason), `kill ${kill}: ${r.reason} at ${r.offset}`)
        next = Math.max(durable, ...seen) + 1
      }
      assert.ok(next > KILLS, 'the appenders made progress')
    })
  })
}
