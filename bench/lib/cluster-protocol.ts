/**
 * The messages between bench/cluster.ts and its processes
 * (bench/lib/cluster-child.ts), and the parent's handle on one of them.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type EngineName = 'spillway' | 'lmdb'

export type ChildCommand =
  | { cmd: 'open'; engine: EngineName; dir: string; keys: number; samples: number; seed: number }
  | { cmd: 'fill'; from: number; to: number }
  /** Runs the workload for `ms`; `writeEvery` 10 makes every tenth operation a write, 0 none. */
  | { cmd: 'run'; ms: number; writeEvery: number }
  /** Replies `watching`, then spins on getSync of `${prefix}0`, `${prefix}1`, … in turn and replies `seen`. */
  | { cmd: 'watch'; prefix: string; count: number; timeoutMs: number }
  /** Sets `${prefix}0`, `${prefix}1`, … in turn, each awaited, `gapMs` apart; replies `set`. */
  | { cmd: 'set'; prefix: string; count: number; gapMs: number }
  | { cmd: 'follow-cost'; rounds: number; passReads: number }
  | { cmd: 'close' }

export interface RunResult {
  reads: number
  /** Reads that found a value. */
  hits: number
  writes: number
  wallNs: number
  /** process.cpuUsage() over the run, user + system, µs. */
  cpuUs: number
  /** The system part of cpuUs, µs: page faults and system calls. */
  systemUs: number
  /** Minor page faults over the run (process.resourceUsage()): first touches of mapped pages. */
  minorFaults: number
  /** Reads the engine answered from its in-heap tier, and all it answered through that tier's lookup (spillway only; 0 for lmdb). */
  heapHits: number
  heapLookups: number
}

/** ns per read of each timed pass, by CPU time and by wall time, with following on and off. */
export interface FollowCost {
  on: { cpu: number[]; wall: number[] }
  off: { cpu: number[]; wall: number[] }
  /** Claims the store's follower was waiting on, before and after the passes (-1: no follower seen). */
  pendingClaims: [before: number, after: number]
}

export type ChildReply =
  | { type: 'up' }
  | { type: 'opened' }
  | { type: 'filled' }
  | { type: 'ran'; result: RunResult }
  | { type: 'watching' }
  /** When each key was first read; -1 for one not seen before the timeout. */
  | { type: 'seen'; at: number[] }
  /** When each set was issued and acknowledged. */
  | { type: 'set'; issued: number[]; acked: number[] }
  | ({ type: 'follow-cost' } & FollowCost)
  | { type: 'closed' }
  | { type: 'error'; message: string }

const CHILD_SCRIPT = fileURLToPath(new URL('./cluster-child.js', import.meta.url))
const REPLY_TIMEOUT_MS = 600_000
/**
 * Node flags for the bench processes, from BENCH_CHILD_FLAGS: none by
 * default, not even the parent's. `BENCH_CHILD_FLAGS='--cpu-prof
 * --cpu-prof-dir=prof'` profiles each of them (NODE_OPTIONS refuses --cpu-prof).
 */
const CHILD_EXEC_ARGV = (process.env.BENCH_CHILD_FLAGS ?? '').split(' ').filter((flag) => flag !== '')

/** One bench process: commands go out in order, replies come back in order. */
export class BenchChild {
  readonly #child: ChildProcess
  readonly #inbox: ChildReply[] = []
  #waiter: (() => void) | undefined
  #exited: string | undefined

  private constructor(child: ChildProcess) {
    this.#child = child
    child.on('message', (msg: ChildReply) => {
      this.#inbox.push(msg)
      this.#waiter?.()
    })
    child.on('exit', (code, signal) => {
      this.#exited = `bench process exited (${signal ?? `code ${code}`})`
      this.#waiter?.()
    })
  }

  static async start(): Promise<BenchChild> {
    const child = new BenchChild(fork(CHILD_SCRIPT, [], { execArgv: CHILD_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
    await child.expect('up')
    return child
  }

  send(command: ChildCommand): void {
    this.#child.send(command)
  }

  /** The next reply, which must be of type `type`. */
  async expect<T extends ChildReply['type']>(type: T): Promise<Extract<ChildReply, { type: T }>> {
    const msg = await this.#next()
    if (msg.type === 'error') throw new Error(`bench process: ${msg.message}`)
    if (msg.type !== type) throw new Error(`bench process answered ${msg.type}, expected ${type}`)
    return msg as Extract<ChildReply, { type: T }>
  }

  async ask<T extends ChildReply['type']>(command: ChildCommand, type: T): Promise<Extract<ChildReply, { type: T }>> {
    this.send(command)
    return this.expect(type)
  }

  /** Closes the engine and lets the process go. */
  async close(): Promise<void> {
    if (this.#exited !== undefined) return
    try {
      await this.ask({ cmd: 'close' }, 'closed')
    } finally {
      const gone = new Promise<void>((resolve) => {
        if (this.#exited !== undefined) resolve()
        else this.#child.once('exit', () => resolve())
      })
      this.#child.disconnect()
      const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000)
      await gone
      clearTimeout(timer)
    }
  }

  async #next(): Promise<ChildReply> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS
    for (;;) {
      const msg = this.#inbox.shift()
      if (msg !== undefined) return msg
      if (this.#exited !== undefined) throw new Error(this.#exited)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`bench process did not answer within ${REPLY_TIMEOUT_MS} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiter = () => { clearTimeout(timer); resolve() }
      })
      this.#waiter = undefined
    }
  }
}
