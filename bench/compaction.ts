/**
 * bench/compaction: event-loop stalls while a 64 MiB journal is compacted,
 * measured with perf_hooks.monitorEventLoopDelay, with reads going on.
 *
 *   npm run bench -- compaction
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { openStore } from '../src/index.js'
import { report, type Row } from './lib/harness.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-compaction-'))
const value = Buffer.alloc(100, 0x62)
const store = await openStore({ dir, durability: 'none', maxHeapBytes: 0, autoCompact: false, compression: false })
const key = (i: number) => String(i).padStart(16, '0')

// Fill the first 64 MiB journal and spill into the second, then overwrite 70 % of the keys: journal 1 is 70 % dead.
let keys = 0
while (store.stats().journals.total < 2) await store.set(key(keys++), value)
for (let i = 0; i < keys; i++) if (i % 10 < 7) await store.set(key(i), value)
const deadBefore = store.stats().disk.deadRatio
// Let the worker that builds sealed journals' sidecars finish, as it long has in a running server:
// on this 2-core machine it would otherwise compete with the main thread for the whole measurement.
await sleep(3000)

const delay = monitorEventLoopDelay({ resolution: 1 })
let reads = 0
let done = false
const readers = (async () => {
  while (!done) {
    for (let i = 0; i < 200; i++, reads++) store.getSync(key((reads * 7919) % keys))
    await yieldToEventLoop()
  }
})()
delay.enable()
const start = process.hrtime.bigint()
const result = await store.compact()
const ms = Number(process.hrtime.bigint() - start) / 1e6
delay.disable()
done = true
await readers
const after = store.stats()
await store.close()
fs.rmSync(dir, { recursive: true })

const maxStallMs = delay.max / 1e6
const rows: Row[] = [
  { name: 'compaction of 1 journal (64 MiB)', opsPerSec: result.moved / (ms / 1000), note: `${result.moved.toLocaleString()} records moved in ${ms.toFixed(0)} ms; dead ratio ${deadBefore.toFixed(2)} -> ${after.disk.deadRatio.toFixed(2)}` },
  { name: 'reads served meanwhile', opsPerSec: reads / (ms / 1000) },
  { name: 'event-loop delay, max (ms)', opsPerSec: maxStallMs, note: `p99 ${(delay.percentile(99) / 1e6).toFixed(1)} ms, mean ${(delay.mean / 1e6).toFixed(1)} ms; target: max ≤ 10 ms (this column holds ms)` },
]
report('compaction', 'spillway: compacting a 64 MiB journal while serving reads', rows, { keys: keys.toLocaleString() })
