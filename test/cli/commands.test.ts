/**
 * stats, dump, get, purge and compact on a directory no other process has
 * open: what each prints, its exit code, and what it leaves on disk.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { tempDir } from '../helpers/temp-dir.js'
import { JOURNAL_BYTES, seed, spillway } from './cli-process.js'

/** 400 writes over 100 keys (so most records are dead), every key tagged by its parity, a third with a TTL. */
async function seededDirectory(label: string): Promise<{ dir: string; values: Map<string, Buffer> }> {
  const dir = tempDir(label)
  const values = new Map<string, Buffer>()
  const entries: Array<[string, Buffer, { tags: string[]; ttl?: number }]> = []
  for (let i = 0; i < 400; i++) {
    const key = `key-${i % 100}`
    const value = Buffer.alloc(300, i)
    values.set(key, value)
    entries.push([key, value, { tags: [i % 2 === 0 ? 'even' : 'odd', `n${i % 100}`], ttl: i % 100 < 30 ? 3_600_000 : undefined }])
  }
  await seed(dir, entries)
  return { dir, values }
}

describe('spillway stats', () => {
  it('prints entries, bytes, journals by state and dead ratios; --json gives the same numbers as one object', async () => {
    const { dir } = await seededDirectory('cli-stats')
    const json = await spillway(['stats', dir, '--json'])
    assert.equal(json.status, 0, json.stderr)
    const report = JSON.parse(json.text)
    assert.equal(report.entries, 100)
    const files = fs.readdirSync(dir).filter((name) => name.endsWith('.journal')).sort()
    assert.equal(report.journals.total, files.length)
    assert.deepEqual(report.journals.list.map((j: { file: string }) => j.file), files)
    assert.equal(report.journals.active + report.journals.sealed + report.journals.cold, files.length)
    assert.equal(report.journals.active, 1)
    assert.equal(report.bytes, files.length * JOURNAL_BYTES)
    // 300 of 400 writes were overwritten: most of what was written is dead, the newest journal least.
    assert.ok(report.deadRatio > 0.5 && report.deadRatio < 1, String(report.deadRatio))
    assert.equal(report.journals.list[0].deadRatio, 1)
    for (const j of report.journals.list) assert.ok(j.deadRatio >= 0 && j.deadRatio <= 1)

    const table = await spillway(['stats', dir])
    assert.equal(table.status, 0, table.stderr)
    assert.match(table.text, /^entries\s+100$/m)
    assert.match(table.text, new RegExp(`^journals\\s+1 active, ${report.journals.sealed} sealed, ${report.journals.cold} cold$`, 'm'))
    assert.match(table.text, new RegExp(`^dead\\s+${(report.deadRatio * 100).toFixed(1)}% `, 'm'))
    for (const file of files) assert.match(table.text, new RegExp(`^${file}\\s+(active|sealed|cold)\\s`, 'm'))
  })
})

describe('spillway dump', () => {
  it('prints every key once, one per line', async () => {
    const { dir, values } = await seededDirectory('cli-dump')
    const { status, text, stderr } = await spillway(['dump', dir])
    assert.equal(status, 0, stderr)
    const keys = text.split('\n')
    assert.equal(keys.pop(), '')
    assert.deepEqual(keys.sort(), [...values.keys()].sort())
  })

  it('--json prints one record per line with size, expiry, tags, and the journal and offset that hold it', async () => {
    const { dir, values } = await seededDirectory('cli-dump-json')
    const before = Date.now()
    const { status, text, stderr } = await spillway(['dump', dir, '--json'])
    assert.equal(status, 0, stderr)
    const records = text.trimEnd().split('\n').map((line) => JSON.parse(line))
    assert.equal(records.length, values.size)
    for (const r of records) {
      const n = Number(r.key.slice('key-'.length))
      assert.equal(r.size, 300)
      assert.deepEqual(r.tags.sort(), [`n${n}`, (n + 300) % 2 === 0 ? 'even' : 'odd'].sort())
      if (n < 30) {
        assert.ok(r.expiresAt > before && r.expiresAt <= Date.now() + 3_600_000, r.key)
        assert.ok(r.ttl > 0 && r.ttl <= 3_600_000)
      } else {
        assert.equal(r.expiresAt, null)
        assert.equal(r.ttl, null)
      }
      // The record really is there: its key right after the 32-byte record header (FORMAT.md §Record).
      const file = path.join(dir, `${String(r.journal).padStart(8, '0')}.journal`)
      const fd = fs.openSync(file, 'r')
      const key = Buffer.alloc(Buffer.byteLength(r.key))
      fs.readSync(fd, key, 0, key.length, r.offset + 32)
      fs.closeSync(fd)
      assert.equal(key.toString(), r.key)
    }
  })
})

describe('spillway get', () => {
  it('writes the value\'s raw bytes to stdout and exits 0', async () => {
    const dir = tempDir('cli-get')
    const binary = Buffer.from([0, 1, 2, 0x0a, 0xff, 0xfe, 0x0d, 0x0a, 0])
    await seed(dir, [['bin', binary], ['text', 'héllo wörld\n'], ['bin', Buffer.concat([binary, binary])]])
    const bin = await spillway(['get', dir, 'bin'])
    assert.equal(bin.status, 0, bin.stderr)
    assert.deepEqual(bin.stdout, Buffer.concat([binary, binary]))
    const text = await spillway(['get', dir, 'text'])
    assert.equal(text.text, 'héllo wörld\n')
  })

  it('exits 1 with the reason on stderr, and nothing on stdout, for a key that holds no value', async () => {
    const dir = tempDir('cli-get-absent')
    await seed(dir, [['present', 'yes'], ['gone', 'soon']])
    const store = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    await store.delete('gone')
    await store.close()
    for (const key of ['absent', 'gone']) {
      const { status, stdout, stderr } = await spillway(['get', dir, key])
      assert.equal(status, 1, stderr)
      assert.equal(stdout.length, 0)
      assert.match(stderr, new RegExp(`"${key}" holds no value in ${dir}`))
    }
  })
})

describe('spillway purge', () => {
  it('purges a tag, prints the count, and the purge holds for the next open', async () => {
    const { dir, values } = await seededDirectory('cli-purge')
    const { status, text, stderr } = await spillway(['purge', dir, '--tag', 'odd'])
    assert.equal(status, 0, stderr)
    // key-n was last written at i = 300 + n: odd n carry 'odd'.
    assert.equal(text, '50\n')
    const again = await spillway(['purge', dir, '--tag', 'odd'])
    assert.equal(again.text, '0\n')
    const store = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    try {
      for (const [key, value] of values) {
        const odd = Number(key.slice('key-'.length)) % 2 === 1
        assert.deepEqual(await store.get(key), odd ? undefined : value, key)
      }
    } finally {
      await store.close()
    }
  })
})

describe('spillway compact', () => {
  it('compacts the sealed journals at least --threshold dead, reports it, and loses no entry', async () => {
    const { dir, values } = await seededDirectory('cli-compact')
    const journalsBefore = fs.readdirSync(dir).filter((name) => name.endsWith('.journal')).length
    const { status, text, stderr } = await spillway(['compact', dir, '--threshold', '0.3', '--json'])
    assert.equal(status, 0, stderr)
    const report = JSON.parse(text)
    assert.equal(report.leaseHeld, undefined)
    assert.ok(report.journals.length >= 2, text)
    assert.ok(report.reclaimedBytes > 0)
    assert.ok(fs.readdirSync(dir).filter((name) => name.endsWith('.journal')).length < journalsBefore)
    // Piped stderr: no progress bar, no terminal control codes.
    assert.doesNotMatch(stderr, /[\r\x1b]/)
    const store = await openStore({ dir, journalBytes: JOURNAL_BYTES })
    try {
      for (const [key, value] of values) assert.deepEqual(await store.get(key), value, key)
    } finally {
      await store.close()
    }
    const nothing = await spillway(['compact', dir, '--threshold', '0.99'])
    assert.equal(nothing.status, 0, nothing.stderr)
    assert.match(nothing.text, /^nothing to compact: no sealed journal in .* is at least 99% dead$/m)
  })
})
