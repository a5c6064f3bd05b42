/**
 * SIGKILL at random points against a store, per backend: a child
 * (fixtures/crash-setter.ts) sets entries and prints each only once its set
 * resolved (and, under 'interval', each flush that finished); the parent
 * kills it after a random number of those lines, never after a time, reopens
 * the directory, and checks what came back against what was acknowledged. Rounds run on one directory, each child
 * continuing where the last left off, so every reopen also recovers from the
 * previous crashes (and from compactions cut short).
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { describe, it, type TestContext } from 'node:test'
import { openStore } from '../../src/index.js'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import type { BackendName } from '../../src/native.js'
import { BACKENDS } from '../helpers/backends.js'
import { tempDir } from '../helpers/temp-dir.js'
import { COMPACT_JOURNAL_BYTES, JOURNAL_BYTES, KEYS, keyOf, LARGE_JOURNAL_BYTES, storeOptions, whichSeq } from './fixtures/crash-workload.js'

const SETTER = fileURLToPath(new URL('./fixtures/crash-setter.js', import.meta.url))
const ROUNDS = 6
const SYNC_INTERVAL_MS = 100

type Mode = 'always' | 'burst' | 'interval' | 'interval-busy' | 'compact'

interface Round {
  firstSeq: number
  /** seq → the child's clock when its set resolved. */
  acks: Map<number, number>
  /** Sets that rejected, as the child printed them. */
  errors: string[]
  /** Every set below this may have started: one not acknowledged may or may not be there. */
  issuedTo: number
  /** In the 'interval' modes: the highest set acknowledged before a flush that finished began (-1 for none). */
  durableThrough: number
  /** Flushes the child saw finish. */
  flushes: number
}

/**
 * When to kill the child, counted in what it printed, never in time: after
 * `acks` acknowledgements, or in the 'interval' modes after `flushes`
 * finished flushes and then `acks` more acknowledgements.
 */
interface KillAt {
  acks: number
  flushes?: number
}

/** Runs the setter from `firstSeq`, kills it as `killAt` says (unless it kills itself), and reads all it printed. */
async function runAndKill(dir: string, firstSeq: number, mode: Mode, backend: BackendName, killAt: KillAt): Promise<Round> {
  const child = spawn(process.execPath, [SETTER, dir, String(firstSeq), mode, String(SYNC_INTERVAL_MS)],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SPILLWAY_BACKEND: backend } })
  const round: Round = { firstSeq, acks: new Map(), errors: [], issuedTo: firstSeq + 1, durableThrough: -1, flushes: 0 }
  const badLines: string[] = []
  let pending = ''
  let acksToKill = killAt.acks
  let killed = false
  // A child that stops making progress must not hang the suite: it fails the round instead.
  let stalled = false
  const guard = setTimeout(() => {
    stalled = true
    child.kill('SIGKILL')
  }, 60_000)
  const kill = () => {
    if (killed) return
    killed = true
    child.kill('SIGKILL')
  }
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop()!
    for (const line of lines) {
      const [what, second, third] = line.split(' ')
      if (what === 'error') {
        round.errors.push(line)
        round.issuedTo = Math.max(round.issuedTo, Number(second) + 1)
        continue
      }
      if (what === 'durable') {
        const seq = Number(second)
        if (!Number.isSafeInteger(seq)) badLines.push(line)
        round.durableThrough = Math.max(round.durableThrough, seq)
        round.flushes++
        continue
      }
      const seq = Number(what === 'issue' ? second : what)
      const time = Number(what === 'issue' ? third : second)
      if (!Number.isFinite(time) || !Number.isSafeInteger(seq)) {
        badLines.push(line)
        continue
      }
      if (what === 'issue') {
        round.issuedTo = Math.max(round.issuedTo, seq)
        continue
      }
      round.acks.set(seq, time)
      // One at a time, the set after the last acknowledged one may be under way.
      round.issuedTo = Math.max(round.issuedTo, seq + 2)
      if (mode === 'compact' || round.flushes < (killAt.flushes ?? 0)) continue
      if (--acksToKill <= 0) kill()
    }
  })
  const [code, signal] = await once(child, 'close')
  clearTimeout(guard)
  assert.equal(signal, 'SIGKILL', `the setter exited with ${code} before it was killed`)
  assert.equal(stalled, false, 'the setter kept making progress until the kill')
  assert.deepEqual(badLines, [], 'the setter printed only what the parent understands')
  assert.ok(round.acks.size > 0, 'the setter acknowledged at least one set before the kill')
  return round
}

interface Check {
  /** Acknowledged sets whose value did not come back: their key returns an older value, or nothing. */
  missing: { seq: number; ackTime: number }[]
  /** Keys that returned bytes that are not any value ever set for them since the last check. */
  wrong: string[]
  /** Keys whose value seen at the previous reopen is gone, with nothing newer in its place. */
  lostEarlier: { key: string; seq: number }[]
  reports: CorruptionReport[]
  entries: number
}

/**
 * Reopens the directory and reads every key of the workload. `baseline` holds
 * what each key returned at the previous reopen (the seq of its value) and is
 * updated to what it returns now.
 */
async function check(dir: string, backend: BackendName, round: Round, baseline: Map<string, number>, journalBytes = JOURNAL_BYTES): Promise<Check> {
  const reports: CorruptionReport[] = []
  const store = await openStore(storeOptions(dir, backend, { onCorruption: (r) => reports.push(r), autoCompact: false, journalBytes }))
  // Newest first per key: the value is most often the last one set.
  const startedByKey = new Map<string, number[]>()
  for (let seq = round.issuedTo - 1; seq >= round.firstSeq; seq--) {
    const key = keyOf(seq)
    const list = startedByKey.get(key)
    if (list === undefined) startedByKey.set(key, [seq])
    else list.push(seq)
  }
  const result: Check = { missing: [], wrong: [], lostEarlier: [], reports, entries: 0 }
  const present = new Set<string>()
  try {
    for (let i = 0; i < KEYS; i++) {
      const key = keyOf(i)
      const started = startedByKey.get(key) ?? []
      const before = baseline.get(key)
      const candidates = before === undefined ? started : [...started, before]
      const value = await store.get(key)
      let found: number | undefined
      if (value !== undefined) {
        found = whichSeq(value, candidates)
        if (found === undefined) {
          result.wrong.push(`${key} (${value.byteLength} bytes, not the value of any of seqs ${candidates.join(', ')})`)
          continue
        }
        present.add(key)
      }
      if (found === undefined && before !== undefined) result.lostEarlier.push({ key, seq: before })
      for (const seq of started) {
        const ackTime = round.acks.get(seq)
        if (ackTime !== undefined && (found === undefined || seq > found)) result.missing.push({ seq, ackTime })
      }
      if (found === undefined) baseline.delete(key)
      else baseline.set(key, found)
    }
    const listed = new Set<string>()
    for await (const key of store.keys()) listed.add(key)
    assert.deepEqual([...listed].sort(), [...present].sort(), 'keys() lists exactly the keys that get() serves')
    result.entries = present.size
  } finally {
    await store.close()
  }
  return result
}

function describeReports(reports: CorruptionReport[]): string {
  const counts = new Map<string, number>()
  for (const r of reports) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1)
  return [...counts].map(([reason, n]) => `${reason}×${n}`).join(' ') || 'none'
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1))
}

/** Asserts `found` is empty, showing at most its first ten items and how many there were. */
function assertNone(found: unknown[], message: string): void {
  assert.deepEqual(found.slice(0, 10), [], `${message} (${found.length} exceptions${found.length > 10 ? ', the first ten shown' : ''})`)
}

/** Rounds of kill and reopen under durability 'always': every acknowledged set must be there, and no set may reject. */
async function alwaysRounds(t: TestContext, backend: BackendName, mode: 'always' | 'burst', rounds: number): Promise<void> {
  const dir = tempDir('store-crash')
  const baseline = new Map<string, number>()
  let next = 0
  for (let kill = 0; kill < rounds; kill++) {
    const round = await runAndKill(dir, next, mode, backend, { acks: randomInt(1, 400) })
    const seen = await check(dir, backend, round, baseline)
    t.diagnostic(`kill ${kill}: ${round.acks.size} sets of seqs ${next}..${round.issuedTo - 1} acknowledged, ` +
      `${seen.entries} keys present, corruption reports: ${describeReports(seen.reports)}`)
    assertNone(round.errors, `kill ${kill}: no set rejects`)
    assertNone(seen.wrong, `kill ${kill}: no key returns a wrong value`)
    assertNone(seen.lostEarlier, `kill ${kill}: no value seen at the previous reopen is lost`)
    assertNone(seen.missing.map((m) => `seq ${m.seq} (${keyOf(m.seq)})`), `kill ${kill}: every acknowledged set is readable`)
    next = round.issuedTo
  }
}

/**
 * Rounds of kill and reopen under durability 'interval': every acknowledged
 * set that a finished flush covered (acknowledged before the flush began,
 * as the child reports) must survive; those after may be lost. Each kill
 * lands after a random number of finished flushes and then of further
 * acknowledgements. Reports how many were lost.
 */
async function intervalRounds(t: TestContext, backend: BackendName, mode: 'interval' | 'interval-busy', rounds: number): Promise<void> {
  const dir = tempDir('store-crash-interval')
  const journalBytes = mode === 'interval' ? JOURNAL_BYTES : LARGE_JOURNAL_BYTES
  const baseline = new Map<string, number>()
  let next = 0
  let lost = 0
  let acknowledged = 0
  let roundsDone = 0
  try {
    for (let kill = 0; kill < rounds; kill++) {
      const round = await runAndKill(dir, next, mode, backend, { flushes: randomInt(1, 3), acks: randomInt(0, 300) })
      const seen = await check(dir, backend, round, baseline, journalBytes)
      lost += seen.missing.length
      acknowledged += round.acks.size
      roundsDone++
      t.diagnostic(`kill ${kill}: ${round.acks.size} sets acknowledged, ${round.flushes} flushes finished, covering seqs up to ` +
        `${round.durableThrough}; ${seen.missing.length} lost, corruption reports: ${describeReports(seen.reports)}`)
      assertNone(round.errors, `kill ${kill}: no set rejects`)
      assertNone(seen.wrong, `kill ${kill}: no key returns a wrong value`)
      assertNone(seen.lostEarlier, `kill ${kill}: no value seen at the previous reopen is lost`)
      assert.ok(round.durableThrough >= next, `kill ${kill}: a flush finished before the kill`)
      const covered = seen.missing.filter((m) => m.seq <= round.durableThrough)
      assertNone(covered.map((m) => `seq ${m.seq}`), `kill ${kill}: every set a finished flush covered (up to seq ${round.durableThrough}) survives`)
      next = round.issuedTo
    }
  } finally {
    t.diagnostic(`interval loss, ${backend} backend, ${mode}: ${lost} of ${acknowledged} acknowledged sets lost over ${roundsDone} SIGKILLs`)
  }
}

// One child at a time: a second child on the other backend would compete with the first for two cores.
describe('store crash recovery', { concurrency: 1 }, () => {
  for (const backend of BACKENDS) {
    describe(`${backend} backend`, { concurrency: 1 }, () => {
      it(`durability 'always': every acknowledged set survives ${ROUNDS} SIGKILLs at random moments`, async (t) => {
        await alwaysRounds(t, backend, 'always', ROUNDS)
      })

      it(`durability 'always': concurrent sets, whose flushes overlap journal seals, all resolve and survive SIGKILLs`, async (t) => {
        await alwaysRounds(t, backend, 'burst', 4)
      })

      it(`durability 'always': a SIGKILL right after compact() resolves loses no acknowledged set`, async (t) => {
        const dir = tempDir('store-crash-compact')
        const round = await runAndKill(dir, 0, 'compact', backend, { acks: Infinity })
        const seen = await check(dir, backend, round, new Map(), COMPACT_JOURNAL_BYTES)
        t.diagnostic(`${round.acks.size} sets acknowledged, ${seen.entries} keys present, ${seen.missing.length} acknowledged sets missing, ` +
          `corruption reports: ${describeReports(seen.reports)}`)
        assertNone(round.errors, 'no set rejects')
        assertNone(seen.wrong, 'no key returns a wrong value')
        assertNone(seen.missing.map((m) => `seq ${m.seq} (${keyOf(m.seq)})`), 'every acknowledged set is readable')
        assert.equal(seen.entries, KEYS, 'every key is readable')
      })

      it(`durability 'interval' (${SYNC_INTERVAL_MS} ms): a SIGKILL loses no set that a finished background flush covered`, async (t) => {
        await intervalRounds(t, backend, 'interval', ROUNDS)
      })

      it(`durability 'interval' (${SYNC_INTERVAL_MS} ms): nor for a writer that never yields to the event loop (it flushes from its own writes)`, async (t) => {
        await intervalRounds(t, backend, 'interval-busy', 3)
      })
    })
  }
})
