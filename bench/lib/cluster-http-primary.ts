/**
 * The primary of bench/cluster.ts's HTTP part: runs bench/lib/http-server.ts
 * (the server bench/http.ts measures, unchanged) as `workers` node:cluster
 * workers on one port, all caching in the directory SPILLWAY_BENCH_DIR names,
 * and speaks for them to the bench over its IPC channel with the messages of
 * bench/lib/http-common.ts: `ready` once every worker listens, `start` and
 * `stop` relayed to every worker, the counters summed (CPU time of the
 * primary included: it hands connections to the workers).
 *
 *   node dist/bench/lib/cluster-http-primary.js <workers> <config>
 */
import cluster, { type Worker } from 'node:cluster'
import { fileURLToPath } from 'node:url'
import type { Command, Counters, ServerMessage } from './http-common.js'

const count = Number(process.argv[2])
const config = process.argv[3]
const send = (msg: ServerMessage): void => { process.send?.(msg) }

cluster.setupPrimary({ exec: fileURLToPath(new URL('./http-server.js', import.meta.url)), args: [config ?? ''] })
const workers: Worker[] = []
const inboxes = new Map<Worker, ServerMessage[]>()
const waiters = new Map<Worker, () => void>()
for (let i = 0; i < count; i++) {
  const worker = cluster.fork()
  workers.push(worker)
  inboxes.set(worker, [])
  worker.on('message', (msg: ServerMessage) => {
    inboxes.get(worker)!.push(msg)
    waiters.get(worker)?.()
  })
  worker.on('exit', (code, signal) => {
    send({ type: 'fail', stage: 'setup', message: `worker exited (${signal ?? `code ${code}`})` })
    process.exit(1)
  })
}

async function next(worker: Worker): Promise<ServerMessage> {
  const inbox = inboxes.get(worker)!
  while (inbox.length === 0) await new Promise<void>((resolve) => waiters.set(worker, resolve))
  return inbox.shift()!
}

async function all(): Promise<ServerMessage[]> {
  return Promise.all(workers.map((w) => next(w)))
}

const ready = await all()
const failed = ready.find((m) => m.type === 'fail')
if (failed !== undefined) {
  send(failed)
  process.exit(1)
}
const ports = new Set(ready.map((m) => (m.type === 'ready' ? m.port : -1)))
if (ports.size !== 1) {
  send({ type: 'fail', stage: 'setup', message: `workers listen on different ports: ${[...ports].join(', ')}` })
  process.exit(1)
}
let cpuBase = process.cpuUsage()
process.on('message', async (msg: Command) => {
  for (const w of workers) w.send(msg)
  const replies = await all()
  if (msg.cmd === 'start') {
    cpuBase = process.cpuUsage()
    send({ type: 'started' })
    return
  }
  const counters = replies.filter((m): m is { type: 'stopped' } & Counters => m.type === 'stopped')
  const own = process.cpuUsage(cpuBase)
  const sum = (field: keyof Counters): number => counters.reduce((total, c) => total + c[field], 0)
  send({
    type: 'stopped',
    cpuUserUs: sum('cpuUserUs') + own.user, cpuSystemUs: sum('cpuSystemUs') + own.system,
    wallUs: Math.max(...counters.map((c) => c.wallUs)), requests: sum('requests'),
    originCalls: sum('originCalls'), originTotal: sum('originTotal'), rssBytes: sum('rssBytes'),
    perWorker: counters.map((c) => c.requests),
  } as ServerMessage)
})
process.on('disconnect', () => {
  for (const w of workers) w.removeAllListeners('exit')
  for (const w of workers) w.kill()
  process.exit(0)
})
send({ type: 'ready', port: [...ports][0] })
