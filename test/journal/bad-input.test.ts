import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath, pathToFileURL } from 'node:url'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { FORMAT_VERSION, HDR_VERSION, journalFileName } from '../../src/journal/format.js'
import { Journal } from '../../src/journal/journal.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import { mapping } from '../../src/native.js'
import { tempDir } from '../helpers/temp-dir.js'

const JOURNAL_BYTES = 64 * 1024

/** A fingerprint of every file in a directory, to show that a refusal changed nothing. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((name) =>
    [name, createHash('sha256').update(fs.readFileSync(path.join(dir, name))).digest('hex')]))
}

function dirWithOneRecord(): string {
  const dir = tempDir('bad')
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES })
  jd.append('kept', 'value')
  jd.close()
  return dir
}

describe('bad input', () => {
  it('keys that are not strings, are empty, are ill-formed or too long get typed errors', () => {
    const dir = dirWithOneRecord()
    const before = snapshot(dir)
    const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES })
    for (const key of [42, null, undefined, {}, ['a']]) {
      assert.throws(() => jd.append(key as unknown as string, 'v'), { code: 'ERR_KEY_INVALID', message: /key must be a string/ })
    }
    assert.throws(() => jd.append('', 'v'), { code: 'ERR_KEY_INVALID', message: /non-empty/ })
    assert.throws(() => jd.append('a\ud800b', 'v'), { code: 'ERR_KEY_INVALID', message: /lone surrogate/ })
    assert.throws(() => jd.append('k'.repeat(70_000), 'v'), { code: 'ERR_KEY_TOO_LARGE', message: /at most 65535/ })
    assert.throws(() => jd.append('k', 12 as unknown as string), { code: 'ERR_VALUE_INVALID' })
    assert.throws(() => jd.append('k', Buffer.alloc(JOURNAL_BYTES)), { code: 'ERR_VALUE_TOO_LARGE' })
    jd.close()
    assert.deepEqual(snapshot(dir), before, 'no file was touched')
  })

  it('bad options throw a TypeError that names the option', () => {
    const dir = tempDir('options')
    assert.throws(() => JournalDir.open(dir, { journalBytes: 1000 }), { name: 'TypeError', message: /^JournalDir options\.journalBytes must be/ })
    assert.throws(() => JournalDir.open(dir, { journalBytes: 65536 + 1 }), { name: 'TypeError', message: /multiple of 4096/ })
    assert.throws(() => JournalDir.open(dir, { recovery: 'yolo' as 'salvage' }), { name: 'TypeError', message: /options\.recovery must be one of/ })
    assert.throws(() => JournalDir.open(dir, { maxMappedBytes: -1 }), { name: 'TypeError', message: /options\.maxMappedBytes/ })
    assert.throws(() => JournalDir.open(dir, { onCorruption: 'log' as unknown as () => void }), { name: 'TypeError', message: /options\.onCorruption must be a function/ })
  })

  it('a directory that is not writable gives ERR_DIR_NOT_WRITABLE and its files are untouched', () => {
    const dir = dirWithOneRecord()
    const before = snapshot(dir)
    let modules = new URL('../../src/', import.meta.url)
    const options: { uid?: number; gid?: number } = {}
    if (process.getuid?.() === 0) {
      // root writes anywhere: the child runs as an unprivileged user, and sees the directory as users do.
      // It imports a world-readable copy of the compiled modules, since the checkout may sit where that
      // user cannot go (a clone inside a mktemp -d directory, mode 0700).
      const copy = tempDir('modules')
      fs.cpSync(fileURLToPath(modules), path.join(copy, 'src'), { recursive: true })
      for (const entry of [copy, ...fs.readdirSync(copy, { recursive: true, encoding: 'utf8' }).map((name) => path.join(copy, name))]) {
        fs.chmodSync(entry, fs.statSync(entry).isDirectory() ? 0o755 : 0o644)
      }
      modules = pathToFileURL(path.join(copy, 'src') + '/')
      fs.chmodSync(path.dirname(dir), 0o755)
      fs.chmodSync(dir, 0o755)
      Object.assign(options, { uid: 65534, gid: 65534 })
    } else fs.chmodSync(dir, 0o555)
    const script = `import { JournalDir } from ${JSON.stringify(new URL('journal/journal-dir.js', modules).href)}
      try { JournalDir.open(${JSON.stringify(dir)}); console.log('opened') } catch (err) { console.log(err.code + ' ' + err.message) }`
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { ...options, encoding: 'utf8' })
    fs.chmodSync(dir, 0o755)
    const out = child.stdout
    assert.equal(child.stderr, '', 'the child ran')
    assert.match(out, /^ERR_DIR_NOT_WRITABLE journal directory .* not writable \(EACCES\)/)
    assert.deepEqual(snapshot(dir), before)
  })

  it('a file that is not a journal is refused by name, reported, skipped and left alone', () => {
    const dir = dirWithOneRecord()
    const foreign = path.join(dir, journalFileName(2))
    fs.writeFileSync(foreign, 'PK\u0003\u0004 this is a zip file, not a journal'.padEnd(8192, '.'))
    const before = snapshot(dir)
    assert.throws(() => Journal.open(mapping, foreign, false, () => {}),
      (err: NodeJS.ErrnoException) => err.code === 'ERR_NOT_A_JOURNAL' && err.message.includes(foreign))
    const reports: CorruptionReport[] = []
    const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, onCorruption: (r) => reports.push(r) })
    assert.deepEqual(reports.map((r) => [r.reason, r.file]), [['bad-header', foreign]])
    const keys: string[] = []
    jd.replay((e) => keys.push(Buffer.from(e.key).toString()))
    assert.deepEqual(keys, ['kept'])
    assert.equal(jd.append('new', 'value').journalId, 3, 'new records go past the foreign file')
    jd.close()
    assert.equal(snapshot(dir)[journalFileName(2)], before[journalFileName(2)])
  })

  it('a journal of a future format version refuses the directory and alters nothing', () => {
    const dir = dirWithOneRecord()
    const file = path.join(dir, journalFileName(1))
    const fd = fs.openSync(file, 'r+')
    const version = Buffer.alloc(4)
    version.writeUInt32LE(FORMAT_VERSION + 1)
    fs.writeSync(fd, version, 0, 4, HDR_VERSION)
    fs.closeSync(fd)
    const before = snapshot(dir)
    assert.throws(() => JournalDir.open(dir, { journalBytes: JOURNAL_BYTES }),
      (err: NodeJS.ErrnoException) => err.code === 'ERR_JOURNAL_VERSION' && err.message.includes(file) &&
        err.message.includes(`version ${FORMAT_VERSION + 1}`))
    assert.deepEqual(snapshot(dir), before)
  })
})
