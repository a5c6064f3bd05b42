/**
 * bench/reopen: how long `openStore` takes to rebuild its index over 1 M keys
 * (16-byte keys, 100-byte values), and what the index costs in memory.
 *
 *   npm run bench -- reopen
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openStore } from '../src/index.js'
import { report, type Row } from './lib/harness.js'

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000)
const RUNS = 3
const value = Buffer.alloc(100, 0x61)
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-reopen-'))

const writer = await openStore({ dir, durability: 'none', maxHeapBytes: 0, compression: false })
for (let i = 0; i < KEYS; i++) await writer.set(String(i).padStart(16, '0'), value)
await writer.close()

const times: number[] = []
let keydirBytes = 0
let entries = 0
for (let run = 0; run < RUNS; run++) {
  const start = process.hrtime.bigint()
  const store = await openStore({ dir, maxHeapBytes: 0 })
  times.push(Number(process.hrtime.bigint() - start) / 1e6)
  const stats = store.stats()
  keydirBytes = stats.disk.keydirBytes
  entries = stats.disk.entries
  if (store.getSync(String(KEYS - 1).padStart(16, '0')) === undefined) throw new Error('the last key did not come back')
  await store.close()
}
fs.rmSync(dir, { recursive: true })
times.sort((a, b) => a - b)
const median = times[RUNS >> 1]
const rows: Row[] = [
  { name: `reopen, ${entries.toLocaleString()} keys`, opsPerSec: 1000 / median, note: `${median.toFixed(0)} ms (median of ${RUNS}; target ≤ 1000 ms)` },
  { name: 'keydir bytes per key', opsPerSec: keydirBytes / entries, note: 'capacity × 20 B / keys; target ≤ 32 (the ops/s column holds bytes here)' },
]
report('reopen', `spillway: reopening a store of ${KEYS.toLocaleString()} keys`, rows)
