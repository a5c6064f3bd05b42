/**
 * spillway verify: exit code 0 on a clean directory, 1 naming the journal
 * and offset of every damaged record, read-only whatever it finds, a
 * progress bar on a terminal and plain lines when piped.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { tempDir } from '../helpers/temp-dir.js'
import { COMMAND, seed, spillway } from './cli-process.js'

async function seeded(label: string): Promise<string> {
  const dir = tempDir(label)
  const entries: Array<[string, string]> = []
  for (let i = 0; i < 600; i++) entries.push([`key-${i}`, `value ${i} `.repeat(20)])
  await seed(dir, entries)
  return dir
}

/** Where `key`'s record is, as `dump --json` reports it. */
async function locate(dir: string, key: string): Promise<{ file: string; name: string; offset: number }> {
  const dump = await spillway(['dump', dir, '--json'])
  const line = dump.text.split('\n').find((l) => l.startsWith(`{"key":${JSON.stringify(key)},`))
  assert.ok(line !== undefined, `${key} in the dump`)
  const { journal, offset } = JSON.parse(line)
  const name = `${String(journal).padStart(8, '0')}.journal`
  return { file: path.join(dir, name), name, offset }
}

function flipByte(file: string, at: number): void {
  const fd = fs.openSync(file, 'r+')
  const byte = Buffer.alloc(1)
  fs.readSync(fd, byte, 0, 1, at)
  byte[0] ^= 0x5a
  fs.writeSync(fd, byte, 0, 1, at)
  fs.closeSync(fd)
}

function journalBytes(dir: string): Map<string, Buffer> {
  return new Map(fs.readdirSync(dir).filter((n) => n.endsWith('.journal')).map((n) => [n, fs.readFileSync(path.join(dir, n))]))
}

describe('spillway verify', () => {
  it('exits 0 on a clean directory and says how many records it checked', async () => {
    const dir = await seeded('cli-verify-clean')
    const { status, text, stderr } = await spillway(['verify', dir])
    assert.equal(status, 0, stderr + text)
    assert.match(text, /journals, 600 records checked, no damage$/m)
    assert.doesNotMatch(text, /DAMAGED/)
    // Piped: plain lines, no progress bar.
    assert.doesNotMatch(stderr, /[\r\x1b]/)
  })

  it('exits 1 after a byte inside a record is flipped, naming the journal and the record\'s offset, and changes nothing', async () => {
    const dir = await seeded('cli-verify-flip')
    const { file, name, offset } = await locate(dir, 'key-300')
    // A byte of the value: past the 32-byte header and the 7-byte key.
    flipByte(file, offset + 32 + 7 + 5)
    const before = journalBytes(dir)
    const { status, text, stderr } = await spillway(['verify', dir])
    assert.equal(status, 1, stderr + text)
    assert.match(text, new RegExp(`^  damage: ${name} offset ${offset}, \\d+ bytes: corrupt-record`, 'm'))
    assert.match(text, new RegExp(`^${name}: .*DAMAGED$`, 'm'))
    assert.match(text, /1 damaged stretch in 1 of \d+ journals \(599 good records\)$/m)
    assert.deepEqual(journalBytes(dir), before, 'verify wrote nothing')

    const json = await spillway(['verify', dir, '--json'])
    assert.equal(json.status, 1)
    const report = JSON.parse(json.text)
    assert.equal(report.clean, false)
    assert.deepEqual(report.damage.map((d: { journal: string; offset: number; reason: string }) => [d.journal, d.offset, d.reason]),
      [[name, offset, 'corrupt-record']])
  })

  it('exits 1 for a journal whose header is not a spillway header, naming it', async () => {
    const dir = await seeded('cli-verify-header')
    const { file, name } = await locate(dir, 'key-0')
    flipByte(file, 0)
    const { status, text } = await spillway(['verify', dir])
    assert.equal(status, 1, text)
    assert.match(text, new RegExp(`^  damage: ${name} offset 0, 4096 bytes: bad-header`, 'm'))
  })

  it('draws a progress bar on stderr when stderr is a terminal', { skip: spawnSync('script', ['--version']).status !== 0 ? 'no `script` command to run it under a pseudo-terminal' : false }, async () => {
    const dir = await seeded('cli-verify-tty')
    // util-linux script(1) runs the command on a pseudo-terminal: stdout and stderr both reach it.
    const run = spawnSync('script', ['-qec', `${JSON.stringify(process.execPath)} ${JSON.stringify(COMMAND)} verify ${JSON.stringify(dir)}`, '/dev/null'], { encoding: 'utf8' })
    assert.equal(run.status, 0, run.stdout)
    assert.match(run.stdout, /verifying \[/)
    assert.match(run.stdout, /no damage/)
  })
})
