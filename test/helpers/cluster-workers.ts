/**
 * node:cluster workers for the multi-process HTTP tests, with their
 * messages: every message is kept, and `next(match)` resolves with the
 * first one, past or future, that matches. `close()` tells the workers to
 * close and waits for their exit; the caller registers it with after().
 */
import cluster, { type Worker } from 'node:cluster'
import { once } from 'node:events'

export type WorkerMessage = Record<string, unknown> & { worker: number }

export interface ClusterWorkers {
  workers: Worker[]
  messages: WorkerMessage[]
  next(match: (m: WorkerMessage) => boolean): Promise<WorkerMessage>
  /** Resolves once `count` messages match. */
  count(match: (m: WorkerMessage) => boolean, count: number): Promise<void>
  /** Every message each worker sent before its answer to this round trip has arrived. */
  fence(): Promise<void>
  close(): Promise<void>
}

export function startWorkers(exec: URL, count: number, env: Record<string, string>): ClusterWorkers {
  cluster.setupPrimary({ exec: exec.pathname })
  const workers = Array.from({ length: count }, () => cluster.fork(env))
  const messages: WorkerMessage[] = []
  const waiters: Array<{ match: (m: WorkerMessage) => boolean; resolve: () => void; left: number }> = []
  const count_ = (match: (m: WorkerMessage) => boolean, n: number) => new Promise<void>((resolve) => {
    const left = n - messages.filter(match).length
    if (left <= 0) resolve()
    else waiters.push({ match, resolve, left })
  })
  for (const w of workers) {
    w.on('message', (m: WorkerMessage) => {
      messages.push(m)
      for (const waiter of [...waiters]) {
        if (!waiter.match(m) || --waiter.left > 0) continue
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    })
  }
  let closing: Promise<void> | undefined
  const close = () => (closing ??= Promise.all(workers.map(async (w) => {
    if (w.isDead()) return
    const exited = once(w, 'exit')
    if (w.isConnected()) w.send({ close: true })
    else w.kill('SIGKILL')
    await exited
  })).then(() => undefined))
  return {
    workers,
    messages,
    next: async (match) => {
      await count_(match, 1)
      return messages.find(match)!
    },
    count: count_,
    fence: async () => {
      const before = messages.length
      workers.forEach((w) => w.send({ advance: 0 }))
      await Promise.all(workers.map((w) => count_((m) => m.advanced === w.id && messages.indexOf(m) >= before, 1)))
    },
    close,
  }
}
