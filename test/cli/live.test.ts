/**
 * The commands on a directory another process is using at the same moment:
 * a writer (writer-child.ts) holds a store open on it and writes while each
 * command runs. Each command does its job, and every write the writer had
 * acknowledged is still readable, with its newest value, afterwards.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { isValueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'
import { holdMaintenanceLease, JOURNAL_BYTES, spillway, startWriter, type WriterProcess } from './cli-process.js'

const KEYS = 300

/** Stops the writer and checks, in a store opened afterwards, that each key holds the newest value it wrote. */
async function assertAcknowledgedWritesReadable(dir: string, writer: WriterProcess): Promise<void> {
  const last = await writer.stop()
  assert.ok(last.size > 0)
  const store = await openStore({ dir, journalBytes: JOURNAL_BYTES, maxDiskBytes: Infinity })
  try {
    for (const [key, seq] of last) {
      const value = await store.get(key)
      assert.ok(value !== undefined && isValueFor(key, seq, value), `${key} holds the value of write #${seq}`)
    }
  } finally {
    await store.close()
  }
}

describe('the commands beside a live writer', () => {
  it('stats, dump, get and verify answer while the writer writes, and disturb none of its writes', async () => {
    const dir = tempDir('cli-live-read')
    const writer = await startWriter(dir, KEYS)
    // Every key written at least once, and several journals sealed.
    await writer.acked(2 * KEYS)

    const stats = await spillway(['stats', dir, '--json'])
    assert.equal(stats.status, 0, stats.stderr)
    const report = JSON.parse(stats.text)
    assert.equal(report.entries, KEYS)
    assert.ok(report.journals.total >= 2, stats.text)

    const dump = await spillway(['dump', dir])
    assert.equal(dump.status, 0, dump.stderr)
    const expected = Array.from({ length: KEYS }, (_, i) => `w-${i}`).sort()
    assert.deepEqual(dump.text.trimEnd().split('\n').sort(), expected)

    const get = await spillway(['get', dir, 'w-7'])
    assert.equal(get.status, 0, get.stderr)
    assert.equal(get.stdout.length, 200)

    // Read-only and lock-free: the writer's appends, claims in progress included, are no damage.
    const verify = await spillway(['verify', dir])
    assert.equal(verify.status, 0, verify.text + verify.stderr)
    assert.match(verify.text, /no damage$/m)

    await writer.acked(3 * KEYS)
    await assertAcknowledgedWritesReadable(dir, writer)
  })

  it('purge invalidates a tag in the directory the writer shares, and counts what it purged', async () => {
    const dir = tempDir('cli-live-purge')
    const writer = await startWriter(dir, KEYS)
    await writer.acked(KEYS)
    const purge = await spillway(['purge', dir, '--tag', 'no-entry-carries-this'])
    assert.equal(purge.status, 0, purge.stderr)
    assert.equal(purge.text, '0\n')
    const odd = await spillway(['purge', dir, '--tag', 'odd'])
    assert.equal(odd.status, 0, odd.stderr)
    assert.ok(Number(odd.text) > 0, odd.text)
    await writer.stop()
  })

  it('compact compacts beside the writer, and every acknowledged write survives the moves', async () => {
    const dir = tempDir('cli-live-compact')
    // The writer compacts nothing itself, so the dead journals it leaves are the command's to compact.
    const writer = await startWriter(dir, KEYS, { maintenance: false })
    await writer.acked(6 * KEYS)
    const compact = await spillway(['compact', dir, '--threshold', '0.3', '--json'])
    assert.equal(compact.status, 0, compact.stderr)
    const report = JSON.parse(compact.text)
    assert.ok(report.journals.length > 0, compact.text)
    await writer.acked(7 * KEYS)
    await assertAcknowledgedWritesReadable(dir, writer)
  })
})

describe('spillway compact while another process holds the maintenance lease', () => {
  it('--wait 0: says who holds what, and exits 1 at once', async () => {
    const dir = tempDir('cli-lease-busy')
    const writer = await startWriter(dir, 50, { maintenance: false })
    await writer.acked(50)
    const holder = await holdMaintenanceLease(dir)
    const { status, text, stderr } = await spillway(['compact', dir, '--wait', '0'])
    assert.equal(status, 1, stderr)
    assert.equal(text, '')
    assert.match(stderr, new RegExp(`another process still holds the maintenance lease on ${dir}`))
    await holder.release()
    await writer.stop()
  })

  it('by default: says it is waiting, and compacts once the lease is let go', async () => {
    const dir = tempDir('cli-lease-wait')
    const writer = await startWriter(dir, KEYS, { maintenance: false })
    await writer.acked(4 * KEYS)
    const holder = await holdMaintenanceLease(dir)
    let released: Promise<void> | undefined
    const { status, text, stderr } = await spillway(['compact', dir, '--threshold', '0.3', '--wait', '10m', '--json'], (err) => {
      if (released === undefined && /waiting up to/.test(err)) released = holder.release()
    })
    assert.equal(status, 0, stderr)
    assert.ok(released !== undefined, 'the command said it was waiting')
    await released
    assert.match(stderr, new RegExp(`another process holds the maintenance lease on ${dir} \\(it is compacting or evicting now\\); waiting up to 600000 ms`))
    assert.ok(JSON.parse(text).journals.length > 0, text)
    await assertAcknowledgedWritesReadable(dir, writer)
  })
})
