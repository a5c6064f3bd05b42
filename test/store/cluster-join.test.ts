import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { replayScanHook } from '../../src/journal/journal-replay.js'
import { availableBackends } from '../../src/native.js'
import { readLineSync } from './fixtures/fifo-writer.js'
import { tempDir } from '../helpers/temp-dir.js'

const WRITER = new URL('./fixtures/fifo-writer.js', import.meta.url).pathname

/**
 * Found by test/store/cluster-kills.test.ts under load: a process joining a
 * directory whose active journal another process appended to right after
 * the joiner's scan of it took the scan for one stopped at damage, and
 * started following at the journal's end. It never applied those records,
 * and its compaction then dropped them (or moved an older value over them).
 */
describe('joining a directory while another process appends (issue 11)', { skip: !availableBackends().includes('mmap') && 'needs the mmap backend' }, () => {
  it('a record appended just after the joiner scanned the active journal is followed', async () => {
    const dir = tempDir('cluster-join')
    const requests = path.join(dir, 'requests.fifo')
    const acks = path.join(dir, 'acks.fifo')
    execFileSync('mkfifo', [requests, acks])
    const writer = spawn(process.execPath, [WRITER, dir, requests, acks], { stdio: ['ignore', 'pipe', 'inherit'] })
    const exited = once(writer, 'exit')
    const [line] = await once(readline.createInterface({ input: writer.stdout }), 'line') as [string]
    assert.equal(line, 'open')
    const requestFd = fs.openSync(requests, 'w')
    const ackFd = fs.openSync(acks, 'r')
    const ask = (request: string) => {
      fs.writeSync(requestFd, `${request}\n`)
      assert.equal(readLineSync(ackFd), 'ok', `the writer acknowledged ${request}`)
    }
    try {
      ask('set before 1')
      let appended = 0
      replayScanHook.afterScan = () => {
        if (appended++ === 0) ask('set during 2')
      }
      let joiner
      try {
        joiner = await openStore({ dir })
      } finally {
        replayScanHook.afterScan = undefined
      }
      try {
        assert.equal(appended > 0, true, 'the joiner scanned a journal')
        ask('set after 3')
        assert.equal((await joiner.get('before'))?.toString(), '1')
        assert.equal((await joiner.get('during'))?.toString(), '2', 'the record appended right after the scan is followed')
        assert.equal((await joiner.get('after'))?.toString(), '3')
      } finally {
        await joiner.close()
      }
      ask('close')
    } finally {
      fs.closeSync(requestFd)
      fs.closeSync(ackFd)
      writer.kill('SIGKILL')
      await exited
    }
  })
})
