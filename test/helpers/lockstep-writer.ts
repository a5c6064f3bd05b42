/**
 * A writer process a test drives in lockstep (test/store/fixtures/fifo-writer.ts):
 * each request is written to one named pipe and waited for, synchronously, on
 * another, so the writer can be made to write at an exact point of the test's
 * own synchronous work (inside a replay or recovery hook, say), with no wait on time.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'

const WRITER = new URL('../store/fixtures/fifo-writer.js', import.meta.url).pathname

/** One line from a blocking file descriptor, without its newline; undefined at end of file. */
export function readLineSync(fd: number): string | undefined {
  const bytes: number[] = []
  const byte = Buffer.alloc(1)
  for (;;) {
    if (fs.readSync(fd, byte, 0, 1, null) === 0) return bytes.length > 0 ? Buffer.from(bytes).toString() : undefined
    if (byte[0] === 0x0a) return Buffer.from(bytes).toString()
    bytes.push(byte[0])
  }
}

export interface LockstepWriter {
  /** Sends `set <key> <value>`, `delete <key>` or `close` and returns once the writer has acknowledged it. */
  ask(request: string): void
  /** Closes the pipes and kills the writer (if a `close` did not end it already). */
  stop(): Promise<void>
}

/** Starts a writer with a store open on `dir` (durability 'always'), once it says the store is open. */
export async function startLockstepWriter(dir: string): Promise<LockstepWriter> {
  const requests = path.join(dir, 'requests.fifo')
  const acks = path.join(dir, 'acks.fifo')
  execFileSync('mkfifo', [requests, acks])
  const writer = spawn(process.execPath, [WRITER, dir, requests, acks], { stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = once(writer, 'exit')
  const [line] = await once(readline.createInterface({ input: writer.stdout }), 'line') as [string]
  assert.equal(line, 'open')
  const requestFd = fs.openSync(requests, 'w')
  const ackFd = fs.openSync(acks, 'r')
  return {
    ask(request) {
      fs.writeSync(requestFd, `${request}\n`)
      assert.equal(readLineSync(ackFd), 'ok', `the writer acknowledged ${request}`)
    },
    async stop() {
      fs.closeSync(requestFd)
      fs.closeSync(ackFd)
      writer.kill('SIGKILL')
      await exited
    },
  }
}
