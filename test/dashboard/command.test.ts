/**
 * `spillway dashboard DIR`, run as a user runs it: a process of its own that
 * opens a directory other processes use, prints its URL, serves the page
 * and samples whose sizes are the directory's (what the writers wrote after
 * it started included), and exits cleanly on SIGTERM with a page connected.
 */
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openStore } from '../../src/index.js'
import type { DashboardSnapshot } from '../../middleware/dashboard/snapshot.js'
import { tempDir } from '../helpers/temp-dir.js'
import { asSent, openEvents } from './event-source.js'

const COMMAND = fileURLToPath(new URL('../../middleware/cli/spillway.js', import.meta.url))

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [COMMAND, ...args], { encoding: 'utf8', timeout: 120_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** Starts `spillway dashboard DIR --port 0 …` and resolves with its URL once it prints it. */
async function startDashboard(dir: string, args: string[] = []) {
  const child = spawn(process.execPath, [COMMAND, 'dashboard', dir, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stdout = ''
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const m = /^spillway dashboard on (http:\/\/\S+?\/), watching /m.exec(stdout)
      if (m !== null) resolve(m[1])
    })
    void exited.then((code) => reject(new Error(`spillway dashboard exited (${code}) before printing its URL: ${stderr}`)))
  })
  return { url, child, exited, stderr: () => stderr }
}

describe('spillway dashboard DIR', () => {
  it('prints its URL, serves the page, and samples the directory, what other processes wrote after it started included', async () => {
    const dir = tempDir('dashboard-dir')
    const writer = await openStore({ dir, journalBytes: 256 * 1024 })
    await writer.set('before', 'x')
    const dashboard = await startDashboard(dir)
    assert.match(dashboard.url, /^http:\/\/127\.0\.0\.1:\d+\/$/)

    const page = await fetch(dashboard.url)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    assert.match(await page.text(), /<title>spillway dashboard<\/title>/)

    for (let i = 0; i < 300; i++) await writer.set(`key-${i}`, Buffer.alloc(2000, i))
    const written = writer.stats()
    assert.ok(written.journals.total > 1, 'the writes filled a journal, so the dashboard must have followed into the next')
    const sample = await (await fetch(`${dashboard.url}snapshot`)).json() as DashboardSnapshot
    assert.equal(sample.store!.disk.entries, written.disk.entries)
    assert.equal(sample.store!.disk.bytes, written.disk.bytes)
    assert.equal(sample.store!.journals.total, written.journals.total)
    assert.equal(sample.store!.disk.maxBytes, null, 'the watcher has no disk bound of its own: it evicts nothing')
    assert.equal(sample.http, null, 'no HTTP cache in this process')
    assert.match(sample.label, new RegExp(`directory ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))

    const events = await openEvents(`${dashboard.url}events`)
    const streamed = await events.next()
    assert.deepEqual(streamed.store!.disk.entries, asSent(writer.stats().disk.entries))

    dashboard.child.kill('SIGTERM')
    await events.ended
    assert.equal(await dashboard.exited, 0, dashboard.stderr())
    // The writer carries on with the directory.
    await writer.set('after', 'y')
    assert.equal((await writer.get('after'))?.toString(), 'y')
    await writer.close()
  })

  it('refuses a directory that holds no store, and does not create it: bad usage, exit code 2', () => {
    const dir = path.join(tempDir('dashboard-none'), 'nothing')
    const { status, stderr, stdout } = run(['dashboard', dir, '--port', '0'])
    assert.equal(status, 2, stderr)
    assert.match(stderr, /no such directory/)
    assert.equal(stdout, '')
    assert.equal(fs.existsSync(dir), false)
  })

  for (const [label, args] of [
    ['no DIR', ['dashboard']],
    ['a port that is no number', ['dashboard', '/tmp', '--port', 'web']],
    ['an interval that is no duration', ['dashboard', '/tmp', '--interval', 'often']],
    ['an unknown flag', ['dashboard', '/tmp', '--frobnicate']],
  ] as const) {
    it(`${label}: the usage on stderr, exit code 2`, () => {
      const { status, stderr, stdout } = run([...args])
      assert.equal(status, 2, stderr)
      assert.match(stderr, /Usage: spillway dashboard/)
      assert.equal(stdout, '')
    })
  }

  it('--help names its flags and exits 0', () => {
    const { status, stdout } = run(['dashboard', '--help'])
    assert.equal(status, 0)
    for (const flag of ['<dir>', '--port', '--host', '--interval']) assert.ok(stdout.includes(flag), flag)
  })

  it('a port in use: the reason on stderr, exit code 1', async () => {
    const dir = tempDir('dashboard-port')
    const writer = await openStore({ dir })
    const first = await startDashboard(dir)
    const port = new URL(first.url).port
    const { status, stderr } = run(['dashboard', dir, '--port', port])
    assert.equal(status, 1, stderr)
    assert.match(stderr, /cannot listen/)
    first.child.kill('SIGTERM')
    assert.equal(await first.exited, 0)
    await writer.close()
  })
})

