/**
 * The command-line tests' real parts: `node dist/middleware/cli/spillway.js …`
 * run as a child process to its exit, store directories seeded through the
 * public store API, and a writer process (writer-child.ts) that keeps a
 * store open on the directory and writes while a command runs.
 */
import { fork, spawn } from 'node:child_process'
import { once } from 'node:events'
import { after } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openStore, type SetOptions } from '../../src/index.js'

export const COMMAND = fileURLToPath(new URL('../../middleware/cli/spillway.js', import.meta.url))
const WRITER = fileURLToPath(new URL('./writer-child.js', import.meta.url))
const LEASE_HOLDER = fileURLToPath(new URL('./lease-holder-child.js', import.meta.url))

/** Small journals, so a few hundred writes fill several. */
export const JOURNAL_BYTES = 64 * 1024

export interface CommandResult {
  status: number | null
  stdout: Buffer
  stderr: string
}

/** Runs `spillway …args` to its exit; `onStderr` sees stderr as it comes. */
export async function spillway(args: string[], onStderr?: (text: string) => void): Promise<CommandResult & { text: string }> {
  const child = spawn(process.execPath, [COMMAND, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  const out: Buffer[] = []
  let err = ''
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString()
    onStderr?.(err)
  })
  const [status] = await once(child, 'close') as [number | null]
  const stdout = Buffer.concat(out)
  return { status, stdout, stderr: err, text: stdout.toString() }
}

/** Writes `entries` into a store on `dir` (created with small journals) and closes it. */
export async function seed(dir: string, entries: Array<[string, Buffer | string, SetOptions?]>): Promise<void> {
  const store = await openStore({ dir, journalBytes: JOURNAL_BYTES, maxDiskBytes: Infinity, autoCompact: false })
  try {
    for (const [key, value, options] of entries) await store.set(key, value, options)
  } finally {
    await store.close()
  }
}

export interface WriterProcess {
  /** Resolves once the writer has acknowledged at least `count` writes in all. */
  acked(count: number): Promise<number>
  /** Stops writing, closes the store, and resolves with the last sequence number written to each key. */
  stop(): Promise<Map<string, number>>
}

/**
 * A process with a store open on `dir` that overwrites `keys` keys in turn
 * (each value derived from its key and sequence number: test/helpers/records.ts),
 * telling the parent how many writes have resolved, until told to stop.
 * With `maintenance: false` it compacts and evicts nothing itself, and so
 * never takes the maintenance lease: a test that holds that lease does not
 * race the writer's turn after each journal it fills.
 */
export async function startWriter(dir: string, keys = 300, options: { maintenance?: boolean } = {}): Promise<WriterProcess> {
  const child = fork(WRITER, [dir, String(JOURNAL_BYTES), String(keys), String(options.maintenance ?? true)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = once(child, 'exit')
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  let acked = 0
  const waiters: Array<{ count: number; resolve: (n: number) => void }> = []
  let finished: ((last: Map<string, number>) => void) | undefined
  let ready!: () => void
  const opened = new Promise<void>((resolve) => { ready = resolve })
  child.on('message', (message: { ready?: true; acked?: number; stopped?: Array<[string, number]> }) => {
    if (message.ready === true) ready()
    if (message.acked !== undefined) {
      acked = message.acked
      for (const waiter of [...waiters]) {
        if (acked < waiter.count) continue
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(acked)
      }
    }
    if (message.stopped !== undefined) finished?.(new Map(message.stopped))
  })
  await Promise.race([opened, exited.then(() => { throw new Error('the writer exited before opening its store') })])
  return {
    acked: (count) => new Promise((resolve, reject) => {
      waiters.push({ count, resolve })
      void exited.then(() => reject(new Error(`the writer exited after ${acked} writes`)))
    }),
    stop: async () => {
      const last = new Promise<Map<string, number>>((resolve) => { finished = resolve })
      child.send({ stop: true })
      const result = await last
      await exited
      return result
    },
  }
}

export interface LeaseHolder {
  /** Lets the maintenance lease go and exits. */
  release(): Promise<void>
}

/** A process holding the maintenance lease of `dir`, as a store's compaction or eviction does for its turn. */
export async function holdMaintenanceLease(dir: string): Promise<LeaseHolder> {
  const child = fork(LEASE_HOLDER, [dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const exited = once(child, 'exit')
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const [message] = await once(child, 'message') as [{ holding: boolean }]
  if (!message.holding) throw new Error('the lease holder could not take the maintenance lease')
  return {
    release: async () => {
      child.send({ release: true })
      await exited
    },
  }
}
