import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import readline from 'node:readline'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { availableBackends } from '../../src/native.js'
import { WRITER_KEYS, writerValue } from './fixtures/cluster-writer.js'
import { seededRandom } from '../helpers/seeded-random.js'
import { tempDir } from '../helpers/temp-dir.js'

/**
 * Issue 11, "Kills": writers sharing one directory at durability 'always'
 * are SIGKILLed at random moments (mid-append, mid-compaction, holding the
 * maintenance lease) while the others keep writing. Every acknowledged
 * write survives, no torn record is ever visible, and the survivors keep
 * acknowledging writes after every kill. Replay with KILLS_SEED; with
 * KILLS_KEEP=<path>, the directory the kills left is copied there to inspect.
 */
const WRITER = new URL('./fixtures/cluster-writer.js', import.meta.url).pathname
const WRITERS = 4
const KILLS = 20
/** Acknowledgements every live writer must make after each kill: they are not stalled. */
const PROGRESS = 3

class Writer {
  readonly name: string
  readonly child: ChildProcess
  acked = -1
  #waiters: { count: number; resolve: () => void }[] = []
  readonly exited: Promise<unknown>

  constructor(dir: string, name: string) {
    this.name = name
    this.child = spawn(process.execPath, [WRITER, dir, name], { stdio: ['ignore', 'pipe', 'inherit'] })
    this.exited = once(this.child, 'exit')
    readline.createInterface({ input: this.child.stdout! }).on('line', (line) => {
      if (line === 'open') return
      this.acked = Number(line)
      this.#waiters = this.#waiters.filter((w) => {
        if (this.acked < w.count) return true
        w.resolve()
        return false
      })
    })
  }

  /** Resolves once `count` more writes than now are acknowledged; rejects if the writer exits first. */
  ackedMore(count: number): Promise<void> {
    const target = this.acked + count
    return new Promise((resolve, reject) => {
      this.#waiters.push({ count: target, resolve })
      void this.exited.then(() => reject(new Error(`writer ${this.name} exited while it was expected to write`)))
    })
  }
}

describe('SIGKILLs of processes sharing a directory (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it(`${KILLS} kills at random moments lose no acknowledged write and stall no survivor`, { timeout: 120_000 }, async (t) => {
    const seed = Number(process.env['KILLS_SEED'] ?? Math.floor(Math.random() * 2 ** 31))
    t.diagnostic(`KILLS_SEED=${seed}`)
    const random = seededRandom(seed)
    const dir = tempDir('kills')
    const acked = new Map<string, number>()
    let generation = 0
    const start = () => new Writer(dir, `w${generation++}`)
    const writers = Array.from({ length: WRITERS }, start)
    try {
      await Promise.all(writers.map((w) => w.ackedMore(1)))
      for (let kill = 0; kill < KILLS; kill++) {
        // Replacements start while the kills go on: a victim is any writer that has acknowledged a write.
        let running = writers.filter((w) => w.acked >= 0)
        if (running.length === 0) {
          const firsts = writers.map((w) => w.ackedMore(1))
          // The writers that lose the race may be killed later: their waits must not reject unhandled.
          for (const first of firsts) first.catch(() => {})
          await Promise.race(firsts)
          running = writers.filter((w) => w.acked >= 0)
        }
        const doomed = running[Math.floor(random() * running.length)]
        // A random moment: after a random number of its own acknowledgements, whatever it is doing then.
        await doomed.ackedMore(1 + Math.floor(random() * 8))
        doomed.child.kill('SIGKILL')
        await doomed.exited
        acked.set(doomed.name, doomed.acked)
        writers[writers.indexOf(doomed)] = start()
        // Every survivor goes on acknowledging writes: none waits on the dead writer's claims or lease.
        await Promise.all(running.filter((w) => w !== doomed).map((w) => w.ackedMore(PROGRESS)))
      }
    } finally {
      for (const w of writers) {
        w.child.kill('SIGKILL')
        await w.exited
        acked.set(w.name, w.acked)
      }
    }
    // As the kills left it, before the checking open appends anything.
    const keep = process.env['KILLS_KEEP']
    if (keep !== undefined) fs.cpSync(dir, keep, { recursive: true })
    const reports: CorruptionReport[] = []
    const store = await openStore({ dir, journalBytes: 64 * 1024, onCorruption: (r) => reports.push(r) })
    try {
      t.diagnostic(`reports at the last open: ${JSON.stringify(reports.map((r) => [r.reason, r.file.split('/').at(-1), r.offset]))}`)
      let checked = 0
      for (const [name, last] of acked) {
        for (let seq = Math.max(0, last - WRITER_KEYS + 1); seq <= last; seq++) {
          const value = (await store.get(`${name}-${seq % WRITER_KEYS}`))?.toString()
          // The acknowledged value, or one written after it that landed before the kill.
          const [owner, stored] = (value ?? ':-1').split(':')
          assert.ok(owner === name && Number(stored) >= seq && value === writerValue(name, Number(stored)),
            `seed ${seed}: ${name}-${seq % WRITER_KEYS} holds ${String(value)}, acknowledged ${seq}`)
          checked++
        }
      }
      assert.ok(checked >= KILLS, `checked ${checked} acknowledged keys`)
      assert.deepEqual(reports.filter((r) => r.reason !== 'hole'), [], 'nothing but holes of killed writers: no torn record')
    } finally {
      await store.close()
    }
  })
})
