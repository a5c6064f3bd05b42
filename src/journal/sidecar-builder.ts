import { Worker } from 'node:worker_threads'
import type { BackendName } from '../native.js'
import type { CorruptionReport, RecoveryMode } from './corruption.js'

export interface SidecarJob {
  dir: string
  id: number
  recovery: RecoveryMode
  backend: BackendName
}

export interface SidecarResult {
  id: number
  ok: boolean
  reports: CorruptionReport[]
  error?: string
}

/**
 * Builds the sidecars of sealed journals on one worker thread, started when
 * the first journal seals. The worker is unref'd: a process may exit with a
 * build unfinished, and the journal is then scanned at the next open.
 */
export class SidecarBuilder {
  #worker: Worker | undefined
  #waiting = new Map<number, (result: SidecarResult) => void>()
  #building = new Map<number, Promise<SidecarResult>>()

  build(job: SidecarJob): Promise<SidecarResult> {
    const running = this.#building.get(job.id)
    if (running !== undefined) return running
    const done = new Promise<SidecarResult>((resolve) => this.#waiting.set(job.id, resolve))
    this.#building.set(job.id, done)
    this.#start().postMessage(job)
    return done
  }

  /** The build under way for journal `id`, if any. */
  pending(id: number): Promise<SidecarResult> | undefined {
    return this.#building.get(id)
  }

  /** Resolves when every build asked for so far has finished. */
  async settled(): Promise<void> {
    while (this.#building.size > 0) await Promise.all(this.#building.values())
  }

  /** Stops the worker; builds under way are abandoned (their journals are scanned at the next open). */
  close(): void {
    void this.#worker?.terminate()
    this.#worker = undefined
    for (const [id, resolve] of this.#waiting) resolve({ id, ok: false, reports: [], error: 'closed' })
    this.#waiting.clear()
    this.#building.clear()
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(new URL('./sidecar-worker.js', import.meta.url))
    worker.unref()
    worker.on('message', (result: SidecarResult) => this.#finish(result))
    worker.on('error', (err) => {
      // A worker that died takes its queue with it: fail what it held, start afresh next time.
      this.#worker = undefined
      for (const [id] of this.#waiting) this.#finish({ id, ok: false, reports: [], error: String(err) })
    })
    this.#worker = worker
    return worker
  }

  #finish(result: SidecarResult): void {
    this.#waiting.get(result.id)?.(result)
    this.#waiting.delete(result.id)
    this.#building.delete(result.id)
  }
}
