/**
 * Bad usage of the store commands: the message and the usage on stderr,
 * exit code 2, nothing on stdout, and nothing created on disk; `--help`
 * for every command on stdout with exit code 0.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { tempDir } from '../helpers/temp-dir.js'
import { seed, spillway } from './cli-process.js'

const COMMANDS = ['proxy', 'stats', 'verify', 'compact', 'dump', 'get', 'purge']

describe('spillway <command> --help', () => {
  for (const command of COMMANDS) {
    it(`${command} --help prints its usage on stdout and exits 0`, async () => {
      const { status, text, stderr } = await spillway([command, '--help'])
      assert.equal(status, 0, stderr)
      assert.match(text, new RegExp(`^Usage: spillway ${command} `))
      assert.equal(stderr, '')
    })
  }

  it('spillway --help lists every command', async () => {
    const { status, text } = await spillway(['--help'])
    assert.equal(status, 0)
    for (const command of COMMANDS) assert.match(text, new RegExp(`^  ${command}\\b`, 'm'), command)
  })
})

describe('spillway <command> with bad usage', async () => {
  const store = tempDir('cli-usage-store')
  await seed(store, [['k', 'v', { tags: ['t'] }]])
  const empty = tempDir('cli-usage-empty')
  const file = path.join(tempDir('cli-usage-file'), 'plain-file')
  fs.writeFileSync(file, 'not a directory')
  const missing = path.join(empty, 'no-such-dir')

  const cases: Array<[string, string[], RegExp?]> = [
    ['stats without DIR', ['stats'], /missing required argument 'dir'/],
    ['verify without DIR', ['verify'], /missing required argument 'dir'/],
    ['compact without DIR', ['compact'], /missing required argument 'dir'/],
    ['dump without DIR', ['dump'], /missing required argument 'dir'/],
    ['get without KEY', ['get', store], /missing required argument 'key'/],
    ['purge without --tag', ['purge', store], /--tag/],
    ['purge with an empty tag', ['purge', store, '--tag', ''], /tag must be a non-empty string/],
    ['get with an empty key', ['get', store, ''], /key/i],
    ['an unknown flag', ['stats', store, '--frobnicate'], /unknown option '--frobnicate'/],
    ['a second DIR', ['dump', store, store], /too many arguments/],
    ['a --threshold out of range', ['compact', store, '--threshold', '1.5'], /ratio between 0 and 1/],
    ['a --wait that is no duration', ['compact', store, '--wait', 'soon'], /--wait/],
    ['a DIR that does not exist', ['stats', missing], new RegExp(`${escape(missing)}: no such directory`)],
    ['a DIR that is a file', ['dump', file], new RegExp(`${escape(file)} is not a directory`)],
    ['a DIR that is no spillway directory (stats)', ['stats', empty], new RegExp(`${escape(empty)} is not a spillway directory`)],
    ['a DIR that is no spillway directory (verify)', ['verify', empty], /is not a spillway directory/],
    ['a DIR that is no spillway directory (compact)', ['compact', empty], /is not a spillway directory/],
    ['a DIR that is no spillway directory (get)', ['get', empty, 'k'], /is not a spillway directory/],
    ['a DIR that is no spillway directory (purge)', ['purge', empty, '--tag', 't'], /is not a spillway directory/],
  ]
  for (const [label, args, message] of cases) {
    it(`${label}: the reason and the usage on stderr, exit code 2, nothing on stdout`, async () => {
      const { status, text, stderr } = await spillway(args)
      assert.equal(status, 2, `exit code; stderr: ${stderr}`)
      assert.match(stderr, /Usage: spillway \w+/)
      if (message !== undefined) assert.match(stderr, message)
      assert.equal(text, '')
    })
  }

  it('a command on a directory that is no store leaves it as it was: no store is created there', async () => {
    await spillway(['stats', empty])
    await spillway(['purge', empty, '--tag', 't'])
    assert.deepEqual(fs.readdirSync(empty), [])
  })

  it('bad usage loses nothing stored: the store still answers afterwards', async () => {
    const { status, stdout } = await spillway(['get', store, 'k'])
    assert.equal(status, 0)
    assert.equal(stdout.toString(), 'v')
  })
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
