/**
 * bench/http.ts's side of a server process: starting it (bench/lib/http-server.ts
 * under this very node, with an IPC channel), the start/stop exchange that
 * measures its CPU, stopping it; and the load, from autocannon's programmatic
 * API, typed here for the fields the bench reads.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { Command, Counters, ServerMessage } from './http-common.js'

const SERVER_SCRIPT = fileURLToPath(new URL('./http-server.js', import.meta.url))
const READY_TIMEOUT_MS = 30_000
const REPLY_TIMEOUT_MS = 10_000

/** A server that could not start; `stage` is 'import' when spillway's middleware would not load. */
export class ServerFailure extends Error {
  constructor(readonly stage: string, message: string) { super(message) }
}

export class ServerProcess {
  private readonly inbox: ServerMessage[] = []
  private waiter: (() => void) | undefined
  private exited: string | undefined

  private constructor(private readonly child: ChildProcess, readonly config: string) {
    child.on('message', (msg: ServerMessage) => {
      this.inbox.push(msg)
      this.waiter?.()
    })
    child.on('exit', (code, signal) => {
      this.exited = `server ${config} exited (${signal ?? `code ${code}`})`
      this.waiter?.()
    })
    child.on('error', (err) => {
      this.exited = `server ${config}: ${err.message}`
      this.waiter?.()
    })
  }

  port = 0

  /**
   * Starts the server for `config` and waits for its port. `script` is the
   * server's entry (bench/lib/http-server.js unless told: bench/proxy.ts
   * runs its own, which speaks the same messages).
   */
  static async start(config: string, env: Record<string, string> = {}, script = SERVER_SCRIPT): Promise<ServerProcess> {
    const child = fork(script, [config], {
      execArgv: [],
      // NODE_ENV=production as a deployment would run: Express and apicache both read it.
      env: { ...process.env, NODE_ENV: 'production', ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const server = new ServerProcess(child, config)
    try {
      const msg = await server.next(READY_TIMEOUT_MS)
      if (msg.type === 'fail') throw new ServerFailure(msg.stage, msg.message)
      if (msg.type !== 'ready') throw new ServerFailure('setup', `unexpected first message ${msg.type}`)
      server.port = msg.port
      return server
    } catch (err) {
      await server.close()
      throw err
    }
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  /** Resets the server's counters and CPU baseline. */
  async start(): Promise<void> {
    const msg = await this.ask({ cmd: 'start' })
    if (msg.type !== 'started') throw new Error(`server ${this.config} answered ${msg.type} to start`)
  }

  /** What the server did since the last `start` (or since it began listening). */
  async stop(): Promise<Counters> {
    const msg = await this.ask({ cmd: 'stop' })
    if (msg.type !== 'stopped') throw new Error(`server ${this.config} answered ${msg.type} to stop`)
    return msg
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    await gone
    clearTimeout(timer)
  }

  private async ask(command: Command): Promise<ServerMessage> {
    this.child.send(command)
    return this.next(REPLY_TIMEOUT_MS)
  }

  private async next(timeoutMs: number): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const msg = this.inbox.shift()
      if (msg !== undefined) return msg
      if (this.exited !== undefined) throw new ServerFailure('serve', this.exited)
      const left = deadline - Date.now()
      if (left <= 0) throw new ServerFailure('serve', `server ${this.config} did not answer within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiter = () => { clearTimeout(timer); resolve() }
      })
      this.waiter = undefined
    }
  }
}

/** The parts of autocannon's result the bench reads. Latencies are in ms; `requests` holds per-second samples. */
export interface LoadResult {
  requests: { p50: number; average: number; total: number; sent: number }
  latency: { p50: number; p99: number; average: number }
  duration: number
  errors: number
  timeouts: number
  non2xx: number
  mismatches: number
}

interface AutocannonOptions { url: string; connections: number; duration: number; pipelining?: number; title?: string }
type Autocannon = (opts: AutocannonOptions) => PromiseLike<LoadResult>

const require = createRequire(import.meta.url)
const autocannon = require('autocannon') as Autocannon

/** `connections` keep-alive connections, one request in flight on each, for `seconds`. */
export async function load(url: string, connections: number, seconds: number): Promise<LoadResult> {
  return autocannon({ url, connections, duration: seconds, pipelining: 1 })
}

/** The version of an installed package, read from its package.json. */
export function versionOf(pkg: string): string {
  try {
    return (require(`${pkg}/package.json`) as { version: string }).version
  } catch {
    return 'not installed'
  }
}
