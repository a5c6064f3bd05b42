/**
 * Durability 'interval' and a slow disk: a background flush that takes long
 * must not make a writer that yields to the event loop flush again on its
 * own thread (that stalls every request for as long as the disk takes),
 * while a writer that never yields still gets its synchronous flush, since
 * its background flush can never settle. The flush is held slow by the test:
 * the real JournalDir's syncAsync waits for a gate before it runs.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { JournalDir } from '../../src/index.js'
import { DurabilityPolicy } from '../../src/store/durability.js'
import { tempDir } from '../helpers/temp-dir.js'

const INTERVAL_MS = 10

/** A real JournalDir whose background flushes wait for `release`, and whose synchronous flushes are counted. */
function slowDisk(): { journals: JournalDir; release: () => void; syncCalls: () => number } {
  const journals = JournalDir.open(tempDir('durability-interval'), { journalBytes: 1 << 20 })
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const syncAsync = journals.syncAsync.bind(journals)
  journals.syncAsync = async () => {
    await gate
    return syncAsync()
  }
  let calls = 0
  const sync = journals.sync.bind(journals)
  journals.sync = () => {
    calls++
    sync()
  }
  return { journals, release, syncCalls: () => calls }
}

/** Appends and tells the policy, until `intervals` sync intervals have passed since the first append. */
async function write(policy: DurabilityPolicy, journals: JournalDir, intervals: number, yields: boolean): Promise<void> {
  const start = performance.now()
  for (let i = 0; performance.now() - start < intervals * INTERVAL_MS; i++) {
    journals.append(Buffer.from(`k${i}`), Buffer.from('value'))
    void policy.afterWrite()
    if (yields) await yieldToLoop()
  }
}

/** Runs a writer for ten intervals under an 'interval' policy over a slow disk, and gives how many synchronous flushes it made. */
async function synchronousFlushes(yields: boolean): Promise<number> {
  const { journals, release, syncCalls } = slowDisk()
  const policy = new DurabilityPolicy('interval', INTERVAL_MS, journals, () => {})
  try {
    await write(policy, journals, 10, yields)
    const calls = syncCalls()
    release()
    await policy.flush()
    return calls
  } finally {
    policy.close()
    release()
    journals.close()
  }
}

describe("durability 'interval' with a slow disk", () => {
  it('a writer that yields is never made to flush on its own thread while a slow flush runs', async () => {
    assert.equal(await synchronousFlushes(true), 0, 'the writer flushed synchronously behind a background flush that was only slow')
  })

  it('a writer that never yields still flushes synchronously, its background flush being unable to settle', async () => {
    assert.ok(await synchronousFlushes(false) >= 1, 'a writer that never yields was left with no flush')
  })
})
