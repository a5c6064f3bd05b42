/**
 * bench/cluster.ts's HTTP part, the bench's side: starts the node:cluster
 * primary (bench/lib/cluster-http-primary.ts) with 1 or 2 workers of
 * bench/http.ts's spillway server on one fresh cache directory, fills the
 * cache, warms up and measures cache hits with autocannon (bench/lib/http-child.ts).
 */
import { fork, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DIR_ENV, ROUTE, type Command, type Counters, type ServerMessage } from './http-common.js'
import { load, type LoadResult } from './http-child.js'

const PRIMARY_SCRIPT = fileURLToPath(new URL('./cluster-http-primary.js', import.meta.url))
const REPLY_TIMEOUT_MS = 30_000
/** Sequential requests at most until one is a hit (a URL is stored on its second miss in one process). */
const PRIME_REQUESTS = 20

export interface ClusterHttpResult {
  workers: number
  load: LoadResult
  server: Counters & { perWorker: number[] }
  /** Requests sent before the first hit. */
  primed: number
}

class Primary {
  readonly #child: ChildProcess
  readonly #inbox: ServerMessage[] = []
  #waiter: (() => void) | undefined
  #exited: string | undefined

  constructor(workers: number, env: Record<string, string>) {
    this.#child = fork(PRIMARY_SCRIPT, [String(workers), 'express-spillway-heap'], {
      execArgv: [], env: { ...process.env, NODE_ENV: 'production', ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.#child.on('message', (msg: ServerMessage) => { this.#inbox.push(msg); this.#waiter?.() })
    this.#child.on('exit', (code, signal) => { this.#exited = `cluster primary exited (${signal ?? `code ${code}`})`; this.#waiter?.() })
  }

  async next(): Promise<ServerMessage> {
    const deadline = Date.now() + REPLY_TIMEOUT_MS
    for (;;) {
      const msg = this.#inbox.shift()
      if (msg !== undefined) {
        if (msg.type === 'fail') throw new Error(`cluster ${msg.stage}: ${msg.message}`)
        return msg
      }
      if (this.#exited !== undefined) throw new Error(this.#exited)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`cluster primary did not answer within ${REPLY_TIMEOUT_MS} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.#waiter = () => { clearTimeout(timer); resolve() }
      })
      this.#waiter = undefined
    }
  }

  async ask(command: Command): Promise<ServerMessage> {
    this.#child.send(command)
    return this.next()
  }

  async close(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return
    const gone = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()))
    this.#child.disconnect()
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000)
    await gone
    clearTimeout(timer)
  }
}

/** Requests one after another until a response says it was a hit. */
async function prime(url: string): Promise<number> {
  for (let i = 1; i <= PRIME_REQUESTS; i++) {
    const res = await fetch(url)
    await res.arrayBuffer()
    if (res.status !== 200) throw new Error(`status ${res.status} while filling the cache`)
    if (/;\s*hit\b/.test(res.headers.get('cache-status') ?? '')) return i
  }
  throw new Error(`no hit after ${PRIME_REQUESTS} requests`)
}

export async function measureClusterHits(workers: number, connections: number, warmupS: number, durationS: number): Promise<ClusterHttpResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-cluster-http-'))
  const primary = new Primary(workers, { [DIR_ENV]: dir })
  try {
    const ready = await primary.next()
    if (ready.type !== 'ready') throw new Error(`cluster primary sent ${ready.type} first`)
    const url = `http://127.0.0.1:${ready.port}${ROUTE}`
    const primed = await prime(url)
    await load(url, connections, warmupS)
    await primary.ask({ cmd: 'start' })
    const result = await load(url, connections, durationS)
    const stopped = await primary.ask({ cmd: 'stop' })
    if (stopped.type !== 'stopped') throw new Error(`cluster primary answered ${stopped.type} to stop`)
    return { workers, load: result, server: stopped as unknown as Counters & { perWorker: number[] }, primed }
  } finally {
    await primary.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
