/**
 * bench/expired-reads: what a read of an expired key costs (issue 15,
 * target 11). Each run fills a fresh store with 200,000 keys of 100 B that
 * expire after a second, moves the injected clock past that, and times the
 * first getSync of every key: the read that finds the record expired. The
 * heap tier is off, so every read is the disk tier's.
 *
 *   npm run bench -- expired-reads
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openStore } from '../src/index.js'
import { medianOf, report } from './lib/harness.js'

const KEYS = 200_000
const keys = Array.from({ length: KEYS }, (_, i) => String(i).padStart(16, '0'))

async function firstReadsOfExpiredKeys(): Promise<number> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-expired-'))
  let now = 1_700_000_000_000
  const store = await openStore({ dir, maxHeapBytes: 0, maxDiskBytes: Infinity, autoCompact: false, durability: 'none', now: () => now })
  try {
    const value = Buffer.alloc(100, 7)
    for (const key of keys) await store.set(key, value, { ttl: 1000 })
    now += 10_000
    const start = process.hrtime.bigint()
    for (let i = 0; i < KEYS; i++) if (store.getSync(keys[(i * 7919) % KEYS]) !== undefined) throw new Error('an expired value was served')
    return KEYS / (Number(process.hrtime.bigint() - start) / 1e9)
  } finally {
    await store.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

report('expired-reads', 'The first read of an expired key', [
  { name: 'getSync of an expired key (disk tier)', opsPerSec: await medianOf(5, firstReadsOfExpiredKeys) },
], { command: 'npm run bench -- expired-reads', workload: `${KEYS.toLocaleString('en-US')} keys of 16 B, 100 B values, ttl 1 s; the clock moved 10 s on; median of 5 fresh stores` })
