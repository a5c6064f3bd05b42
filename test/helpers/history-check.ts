import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import type { LoggedOp } from '../store/fixtures/history-worker.js'

const WORKER = new URL('../store/fixtures/history-worker.js', import.meta.url)

export interface HistoryWorker {
  child: ChildProcess
  ready: Promise<unknown>
  /** The worker's log, once it has run its operations and closed its store. */
  log: Promise<LoggedOp[]>
}

/** Forks one history worker; see test/store/fixtures/history-worker.ts. */
export function forkHistoryWorker(dir: string, seed: number, index: number, ops: number, options: object = {}): HistoryWorker {
  const child = fork(WORKER, [dir, String(seed), String(index), String(ops), JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const messages: unknown[] = []
  const waiters: ((m: unknown) => void)[] = []
  child.on('message', (m) => {
    const waiter = waiters.shift()
    if (waiter !== undefined) waiter(m)
    else messages.push(m)
  })
  const exited = once(child, 'exit')
  const next = () => new Promise<unknown>((resolve, reject) => {
    if (messages.length > 0) return resolve(messages.shift())
    waiters.push(resolve)
    void exited.then(([code]) => reject(new Error(`history worker ${index} exited with ${String(code)} before it reported`)))
  })
  const ready = next()
  const log = ready.then(next).then((m) => (m as { log: LoggedOp[] }).log)
  return { child, ready, log }
}

/**
 * The history check (issue 11): no read returns a value that an operation
 * completed before the read started had already overwritten, deleted or
 * purged, nor a value never written, nor one whose write started after the
 * read ended. Times are one monotonic clock for the machine. A read that
 * finds nothing is never a violation: a cache may forget.
 */
export function historyViolations(logs: LoggedOp[][]): string[] {
  const all = logs.flat()
  const sets = new Map<string, LoggedOp[]>()
  const deletes = new Map<string, LoggedOp[]>()
  const purges = all.filter((op) => op.op === 'purge')
  for (const op of all) {
    if (op.op === 'set') (sets.get(op.key) ?? sets.set(op.key, []).get(op.key)!).push(op)
    if (op.op === 'delete') (deletes.get(op.key) ?? deletes.set(op.key, []).get(op.key)!).push(op)
  }
  const bySetValue = new Map<string, LoggedOp>()
  for (const op of all) if (op.op === 'set') bySetValue.set(`${op.key}\0${op.value}`, op)
  const violations: string[] = []
  for (const read of all) {
    if ((read.op !== 'get' && read.op !== 'getSync') || read.value === undefined) continue
    const write = bySetValue.get(`${read.key}\0${read.value}`)
    if (write === undefined) {
      violations.push(`${read.op} ${read.key} returned ${read.value}, never written to it`)
      continue
    }
    if (write.start > read.end) violations.push(`${read.op} ${read.key} returned ${read.value} before its set started`)
    const after = (op: LoggedOp) => write.end < op.start && op.end < read.start
    const newer = (sets.get(read.key) ?? []).find((op) => op.value !== read.value && after(op)) ??
      (deletes.get(read.key) ?? []).find(after) ??
      purges.find((op) => op.tag === write.tag && after(op))
    if (newer !== undefined) {
      violations.push(`${read.op} ${read.key} at ${read.start} returned ${read.value} (set ${write.start}..${write.end}), ` +
        `but ${newer.op} ${newer.value ?? newer.tag ?? ''} completed at ${newer.end}`)
    }
  }
  return violations
}
