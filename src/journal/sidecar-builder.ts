import { setTimeout as sleep } from 'node:timers/promises'
import { Worker } from 'node:worker_threads'
import type { BackendName } from '../native.js'
import type { CorruptionReport, RecoveryMode } from './corruption.js'

export interface SidecarJob {
  dir: string
  id: number
  recovery: RecoveryMode
  backend: BackendName
  /** The directory is held exclusively (pread backend): no claim is in flight anywhere. */
  exclusive: boolean
}

export interface SidecarResult {
  id: number
  ok: boolean
  reports: CorruptionReport[]
  /** Claims found unpublished whose writers may still publish them; nothing was written. */
  unpublished: number
  error?: string
}

/** Between looks at a journal whose claims are not all published: short first, as a writer usually is. */
const FIRST_LOOK_AGAIN_MS = 5
const MAX_LOOK_AGAIN_MS = 1000
const MAX_LOOKS = 60

/**
 * Builds the sidecars of sealed journals on one worker thread, started when
 * the first journal seals. The worker is ref'd only while a build is in
 * flight (close() and compaction may be waiting for one): an idle worker, or
 * one waiting between looks for a claim to be published, never keeps the
 * process alive, so a store left open does not either. A build abandoned
 * that way leaves its journal to be scanned at the next open. A
 * journal with claims still unpublished is looked at again until every claim
 * is published or its writer is gone: a hint never leaves out a record.
 */
export class SidecarBuilder {
  #worker: Worker | undefined
  #waiting = new Map<number, (result: SidecarResult) => void>()
  #building = new Map<number, Promise<SidecarResult>>()
  #awaitingClaims = new Set<number>()
  #closed = false

  build(job: SidecarJob): Promise<SidecarResult> {
    const running = this.#building.get(job.id)
    if (running !== undefined) return running
    const done = this.#buildWhenPublished(job).finally(() => {
      this.#building.delete(job.id)
      this.#awaitingClaims.delete(job.id)
    })
    this.#building.set(job.id, done)
    return done
  }

  /** The build under way for journal `id`, if any. */
  pending(id: number): Promise<SidecarResult> | undefined {
    return this.#building.get(id)
  }

  /** Journals whose last look found a claim its writer may still publish. */
  awaitingClaims(): number[] {
    return [...this.#awaitingClaims]
  }

  /**
   * Resolves when every build asked for so far has finished, or is waiting
   * for a claim to be published (a writer stalled elsewhere must not hold up
   * a close: that journal is scanned at the next open instead).
   */
  async settled(): Promise<void> {
    for (;;) {
      const running = [...this.#building].filter(([id]) => !this.#awaitingClaims.has(id)).map(([, build]) => build)
      if (running.length === 0) return
      await Promise.all(running)
    }
  }

  /** Stops the worker; builds under way are abandoned (their journals are scanned at the next open). */
  close(): void {
    this.#closed = true
    void this.#worker?.terminate()
    this.#worker = undefined
    for (const [id, resolve] of this.#waiting) resolve({ id, ok: false, reports: [], unpublished: 0, error: 'closed' })
    this.#waiting.clear()
  }

  async #buildWhenPublished(job: SidecarJob): Promise<SidecarResult> {
    for (let look = 1, pause = FIRST_LOOK_AGAIN_MS; ; look++, pause = Math.min(pause * 2, MAX_LOOK_AGAIN_MS)) {
      const result = await this.#post(job)
      // Giving up writes nothing: the journal is then scanned at each open, which is slow but complete.
      if (result.unpublished === 0 || this.#closed || look === MAX_LOOKS) return result
      this.#awaitingClaims.add(job.id)
      await sleep(pause, undefined, { ref: false })
      if (this.#closed) return { ...result, error: 'closed' }
    }
  }

  #post(job: SidecarJob): Promise<SidecarResult> {
    if (this.#closed) return Promise.resolve({ id: job.id, ok: false, reports: [], unpublished: 0, error: 'closed' })
    const done = new Promise<SidecarResult>((resolve) => this.#waiting.set(job.id, resolve))
    const worker = this.#start()
    worker.ref()
    worker.postMessage(job)
    return done
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker
    const worker = new Worker(new URL('./sidecar-worker.js', import.meta.url))
    worker.on('message', (result: SidecarResult) => this.#finish(result))
    worker.on('error', (err) => {
      // A worker that died takes its queue with it: fail what it held, start afresh next time.
      this.#worker = undefined
      for (const [id] of this.#waiting) this.#finish({ id, ok: false, reports: [], unpublished: 0, error: String(err) })
    })
    this.#worker = worker
    return worker
  }

  #finish(result: SidecarResult): void {
    this.#waiting.get(result.id)?.(result)
    this.#waiting.delete(result.id)
    // Idle: let the process exit. (After its 'message' listener was added, which refs the worker's port.)
    if (this.#waiting.size === 0) this.#worker?.unref()
  }
}
