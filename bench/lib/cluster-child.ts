/**
 * One process of bench/cluster.ts: opens spillway or lmdb on the directory
 * it is given and does what the parent's messages ask (cluster-protocol.ts),
 * one command at a time, replying to each. Forked by the bench with an IPC
 * channel; never run by hand.
 *
 * Timestamps are process.hrtime.bigint(), CLOCK_MONOTONIC on Linux: one
 * clock for every process of the machine, so a time taken in one process
 * and a time taken in another can be subtracted.
 */
import { cpuUsage, resourceUsage } from 'node:process'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { ChildCommand, ChildReply, EngineName, FollowCost, RunResult } from './cluster-protocol.js'
import { keyOf, keyStrings, meanValueBytes, valueOf, zipfSamples } from './cluster-workload.js'

/** The calls the loops make, whichever the engine. */
interface Handle {
  get(key: string): Buffer | undefined
  put(key: string, value: Buffer): Promise<unknown>
  /** Makes the next `get` see every write acknowledged so far, in any process. */
  refresh(): void
  /** Heap-tier hits and misses so far in this process (spillway); [0, 0] for an engine without one. */
  heapCounts(): [hits: number, misses: number]
  close(): Promise<void>
}

/** Operations between two yields to the event loop: about what one request handler does between awaits, for many requests. */
const BATCH = 1000
/** Writes issued and not yet awaited, at most (as bench/store.ts's --window). */
const WRITE_WINDOW = 1000

/** Keys the following-cost loop cycles over. */
const FOLLOW_HOT_KEYS = 1000

/** Bytes of journals the store may keep: room for the fill and every overwrite of the run, so nothing is evicted. */
function diskBudget(keys: number): number {
  return Math.max(2 ** 30, Math.ceil(4 * keys * (meanValueBytes(keys) + 64)))
}

async function openEngine(engine: EngineName, dir: string, keys: number): Promise<Handle> {
  if (engine === 'spillway') {
    const { openStore } = await import('../../src/index.js')
    const store = await openStore({ dir, durability: 'interval', maxDiskBytes: diskBudget(keys) })
    return {
      get: (key) => store.getSync(key),
      put: (key, value) => store.set(key, value),
      refresh() {},
      heapCounts: () => {
        const { heap } = store.stats()
        return [heap.hits, heap.misses]
      },
      close: () => store.close(),
    }
  }
  const { open } = await import('lmdb')
  const db = open<Buffer, string>({ path: dir, encoding: 'binary' })
  return {
    // getBinary: a stable copy, as bench/lib/engines.ts reads it.
    get: (key) => db.getBinary(key),
    put: (key, value) => db.put(key, value),
    // lmdb-js reads through a snapshot it renews on a timer; a synchronous spin must renew it itself.
    refresh: () => db.resetReadTxn(),
    heapCounts: () => [0, 0],
    close: () => db.close(),
  }
}

let handle: Handle | undefined
let samples: Uint32Array = new Uint32Array(0)
let keys: string[] = []
/** Where the loops are in `samples`: it carries on from one run to the next. */
let position = 0
let generation = 0

const reply = (msg: ChildReply): void => { process.send?.(msg) }
const now = (): bigint => process.hrtime.bigint()

/**
 * Runs the workload for `ms`: batches of BATCH operations, every
 * `writeEvery`-th a write (none when 0), the rest `get`s, a yield to the event
 * loop after each batch, and the writes awaited whenever WRITE_WINDOW are
 * outstanding and at the end (inside the timed span).
 */
async function run(ms: number, writeEvery: number): Promise<RunResult> {
  const h = handle!
  const mask = samples.length - 1
  const pending: Promise<unknown>[] = []
  let reads = 0
  let hits = 0
  let writes = 0
  const cpu = cpuUsage()
  const faults = resourceUsage().minorPageFault
  const [heapHits, heapMisses] = h.heapCounts()
  const start = now()
  const deadline = start + BigInt(Math.round(ms * 1e6))
  for (;;) {
    for (let j = 0; j < BATCH; j++) {
      const at = position
      position = (position + 1) & mask
      if (writeEvery > 0 && at % writeEvery === 0) {
        pending.push(h.put(keys[at], valueOf(samples[at], ++generation)))
        writes++
      } else {
        if (h.get(keys[at]) !== undefined) hits++
        reads++
      }
    }
    if (pending.length >= WRITE_WINDOW) {
      await Promise.all(pending)
      pending.length = 0
    } else {
      await nextTurn()
    }
    if (now() >= deadline) break
  }
  await Promise.all(pending)
  const wallNs = Number(now() - start)
  const used = cpuUsage(cpu)
  const [heapHitsAfter, heapMissesAfter] = h.heapCounts()
  return {
    reads, hits, writes, wallNs, cpuUs: used.user + used.system, systemUs: used.system, minorFaults: resourceUsage().minorPageFault - faults,
    heapHits: heapHitsAfter - heapHits, heapLookups: heapHitsAfter - heapHits + heapMissesAfter - heapMisses,
  }
}

/** Fills keys [from, to) with their generation-0 values, WRITE_WINDOW writes in flight. */
async function fill(from: number, to: number): Promise<void> {
  const h = handle!
  for (let i = from; i < to; i += WRITE_WINDOW) {
    const wave: Promise<unknown>[] = []
    for (let k = i, end = Math.min(to, i + WRITE_WINDOW); k < end; k++) wave.push(h.put(keyOf(k), valueOf(k)))
    await Promise.all(wave)
  }
}

/**
 * Spins on `count` keys in turn: reads each (getSync; lmdb-js renewing its
 * read transaction first) until it is present, takes the time, goes on to
 * the next. Gives the times, -1 for a key not seen within `timeoutMs`.
 */
function watchSequence(prefix: string, count: number, timeoutMs: number): number[] {
  const h = handle!
  const seen: number[] = []
  for (let k = 0; k < count; k++) {
    const key = `${prefix}${k}`
    const deadline = now() + BigInt(timeoutMs * 1e6)
    for (let spins = 1; ; spins++) {
      h.refresh()
      if (h.get(key) !== undefined) {
        seen.push(Number(now()))
        break
      }
      if ((spins & 1023) === 0 && now() > deadline) {
        seen.push(-1)
        break
      }
    }
  }
  return seen
}

/**
 * Sets `count` keys in turn, each awaited, `gapMs` apart (the watcher is
 * spinning on the next key by then): when each set was issued and when it
 * was acknowledged.
 */
async function setSequence(prefix: string, count: number, gapMs: number): Promise<{ issued: number[]; acked: number[] }> {
  const h = handle!
  const issued: number[] = []
  const acked: number[] = []
  for (let k = 0; k < count; k++) {
    issued.push(Number(now()))
    await h.put(`${prefix}${k}`, valueOf(k, ++generation))
    acked.push(Number(now()))
    await new Promise((resolve) => setTimeout(resolve, gapMs))
  }
  return { issued, acked }
}

/**
 * The cost of following when nothing changed: the same pass of
 * `passReads` reads of the FOLLOW_HOT_KEYS first keys drawn (heap-tier hits
 * after the first pass: the path where a few ns show most), with the store's Follower.catchUp as it is and
 * replaced by a no-op (a switch that exists only in this bench process: no
 * other process writes meanwhile, so skipping the catch-up changes no
 * result), alternated `rounds` times, each timed pass after an untimed one
 * that lets V8 settle on the changed method. Gives CPU ns per read
 * (process.cpuUsage(): time this process was descheduled does not count)
 * and wall ns per read, for each pass.
 */
async function followCost(rounds: number, passReads: number): Promise<FollowCost> {
  const { Follower } = await import('../../src/store/follow.js')
  const proto = Follower.prototype as { catchUp: () => void }
  const catchUp = proto.catchUp
  const h = handle!
  const hot = [...new Set(keys)].slice(0, FOLLOW_HOT_KEYS)
  const n = passReads
  const pass = (into?: { cpu: number[]; wall: number[] }): void => {
    let hits = 0
    const cpu = cpuUsage()
    const start = now()
    for (let i = 0; i < n; i++) if (h.get(hot[i % hot.length]) !== undefined) hits++
    const wall = Number(now() - start) / n
    const used = cpuUsage(cpu)
    if (hits !== n) throw new Error(`follow-cost pass found ${hits} of ${n} keys`)
    into?.cpu.push(((used.user + used.system) * 1e3) / n)
    into?.wall.push(wall)
  }
  // The store's follower, for the claims it still waits on: each makes every catch-up take the slow path.
  let follower: { pendingClaims: number } | undefined
  proto.catchUp = function seeFollower(this: { pendingClaims: number }) { follower = this; catchUp.call(this) }
  h.get(keys[0])
  proto.catchUp = catchUp
  const pendingBefore = follower?.pendingClaims ?? -1
  const on = { cpu: [] as number[], wall: [] as number[] }
  const off = { cpu: [] as number[], wall: [] as number[] }
  try {
    for (let r = 0; r < rounds; r++) {
      proto.catchUp = catchUp
      pass()
      pass(on)
      proto.catchUp = function noCatchUp() {}
      pass()
      pass(off)
      await nextTurn()
    }
  } finally {
    proto.catchUp = catchUp
  }
  return { on, off, pendingClaims: [pendingBefore, follower?.pendingClaims ?? -1] }
}

async function handle1(msg: ChildCommand): Promise<void> {
  switch (msg.cmd) {
    case 'open': {
      handle = await openEngine(msg.engine, msg.dir, msg.keys)
      samples = zipfSamples(msg.keys, msg.samples, msg.seed)
      keys = keyStrings(samples)
      reply({ type: 'opened' })
      return
    }
    case 'fill':
      await fill(msg.from, msg.to)
      reply({ type: 'filled' })
      return
    case 'run':
      reply({ type: 'ran', result: await run(msg.ms, msg.writeEvery) })
      return
    case 'watch':
      // Told before the spin starts: the spin blocks this process's event loop until it ends.
      process.send?.({ type: 'watching' } satisfies ChildReply, () => {
        reply({ type: 'seen', at: watchSequence(msg.prefix, msg.count, msg.timeoutMs) })
      })
      return
    case 'set':
      reply({ type: 'set', ...(await setSequence(msg.prefix, msg.count, msg.gapMs)) })
      return
    case 'follow-cost':
      reply({ type: 'follow-cost', ...(await followCost(msg.rounds, msg.passReads)) })
      return
    case 'close':
      await handle?.close()
      handle = undefined
      reply({ type: 'closed' })
      return
  }
}

let queue = Promise.resolve()
process.on('message', (msg: ChildCommand) => {
  queue = queue.then(() => handle1(msg)).catch((err: unknown) => {
    reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) })
  })
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'up' })
