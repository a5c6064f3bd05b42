/**
 * bench/follow-check: what following costs a read when no other process
 * has appended anything (issue 11's target: at most 30 ns). The same loop
 * of heap-tier hits on a store that follows (mmap) and on one that cannot
 * share its directory and so never follows (pread), and the check alone.
 *
 *   node dist/bench/follow-check.js
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openStore, type Store } from '../src/index.js'
import { JournalDir } from '../src/journal/journal-dir.js'
import { Follower } from '../src/store/follow.js'

const READS = 5_000_000
const KEYS = 1000
const ROUNDS = 5

const keys = Array.from({ length: KEYS }, (_, i) => `k${i}`)

async function fill(store: Store): Promise<void> {
  for (const key of keys) await store.set(key, `value of ${key}`)
  // Two disk reads each promote every key to the heap tier.
  for (let round = 0; round < 2; round++) for (const key of keys) store.getSync(key)
}

/** ns per read of a loop of heap-tier hits. */
function hitLoop(store: Store): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < READS; i++) store.getSync(keys[i % KEYS])
  return Number(process.hrtime.bigint() - start) / READS
}

function median(values: number[]): number {
  return values.sort((a, b) => a - b)[values.length >> 1]
}

function checkLoop(dir: string): number {
  const journals = JournalDir.open(dir, { journalBytes: 64 * 1024 })
  journals.replay(() => {})
  const follower = new Follower(journals, () => {}, () => {}, () => {})
  const times: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < READS; i++) follower.catchUp()
    times.push(Number(process.hrtime.bigint() - start) / READS)
  }
  journals.close()
  return median(times)
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-follow-bench-'))
try {
  // Both stores open and warmed up together, then measured in turns, so neither gains from running second.
  const followed = await openStore({ dir: path.join(base, 'mmap'), backend: 'mmap', journalBytes: 1024 * 1024 })
  const alone = await openStore({ dir: path.join(base, 'pread'), backend: 'pread', journalBytes: 1024 * 1024 })
  await fill(followed)
  await fill(alone)
  const mmap: number[] = []
  const pread: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    mmap.push(hitLoop(followed))
    pread.push(hitLoop(alone))
  }
  const mmapNs = median(mmap)
  const preadNs = median(pread)
  await followed.close()
  await alone.close()
  const checkNs = checkLoop(path.join(base, 'mmap'))
  console.log(`heap-tier hit, following (mmap):       ${mmapNs.toFixed(1)} ns`)
  console.log(`heap-tier hit, not following (pread):  ${preadNs.toFixed(1)} ns`)
  console.log(`difference:                            ${(mmapNs - preadNs).toFixed(1)} ns`)
  console.log(`Follower.catchUp alone, nothing new:   ${checkNs.toFixed(1)} ns`)
} finally {
  fs.rmSync(base, { recursive: true, force: true })
}
