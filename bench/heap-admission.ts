/**
 * bench/heap-admission: does a small heap tier cost reads? (issue 15, target 4)
 * One directory of 16-byte keys and 100 B values, read with the heap tier
 * off and with a 1 MiB tier (about 4,000 entries, far fewer than the keys),
 * on a uniform workload and on a Zipf one (s = 0.99, hot keys scattered over
 * the key space). The tier pays off only if its hits save more than its
 * replacements cost; the ratio "1 MiB tier ÷ tier off" says whether they do.
 *
 *   npm run bench -- heap-admission          (--quick: a tenth of the keys)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { openStore, type Store } from '../src/index.js'
import { ZIPF_EXPONENT, zipfSamples } from './lib/cluster-workload.js'
import { report, type Row } from './lib/harness.js'
import { xorshift } from './lib/seeded-random.js'

const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const KEYS = QUICK ? 100_000 : 1_000_000
const READS = KEYS
const RUNS = 6
const VALUE_BYTES = 100
const TIERS = [{ label: 'tier off', maxHeapBytes: 0 }, { label: '1 MiB tier', maxHeapBytes: 2 ** 20 }]

const keys = Array.from({ length: KEYS }, (_, i) => String(i).padStart(16, '0'))

/** Key indexes drawn uniformly. */
function uniformReads(random: () => number): Uint32Array {
  return Uint32Array.from({ length: READS }, () => Math.floor(random() * KEYS))
}

function readAll(store: Store, reads: Uint32Array): number {
  let found = 0
  for (let i = 0; i < reads.length; i++) if (store.getSync(keys[reads[i]]) !== undefined) found++
  if (found !== reads.length) throw new Error(`only ${found} of ${reads.length} reads found their key`)
  return reads.length
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-heap-admission-'))
try {
  const random = xorshift(15)
  const value = Buffer.alloc(VALUE_BYTES, 7)
  const writer = await openStore({ dir, maxHeapBytes: 0, maxDiskBytes: Infinity, durability: 'none' })
  for (let i = 0; i < KEYS; i++) await writer.set(keys[i], value)
  await writer.close()

  // Each tier reads its own copy of the directory (made alike, so neither has the files the writer
  // left), and their runs alternate, first one first and then the other, so a change in the
  // machine's load falls on both sides of a ratio alike.
  const copies = TIERS.map((_, i) => `${dir}-${i}`)
  for (const copy of copies) fs.cpSync(dir, copy, { recursive: true })
  const stores = await Promise.all(TIERS.map((tier, i) =>
    openStore({ dir: copies[i], maxHeapBytes: tier.maxHeapBytes, maxDiskBytes: Infinity, autoCompact: false })))
  const workloads = [{ label: 'uniform', reads: uniformReads(random) }, { label: `Zipf ${ZIPF_EXPONENT}`, reads: zipfSamples(KEYS, READS, 15) }]
  const rows: Row[] = []
  try {
    for (const workload of workloads) {
      const before = stores.map((store) => store.stats().heap)
      for (const store of stores) readAll(store, workload.reads)
      const rates: number[][] = TIERS.map(() => [])
      for (let run = 0; run < RUNS; run++) {
        for (const i of run % 2 === 0 ? [0, 1] : [1, 0]) {
          const start = process.hrtime.bigint()
          rates[i].push(readAll(stores[i], workload.reads) / (Number(process.hrtime.bigint() - start) / 1e9))
        }
      }
      TIERS.forEach((tier, i) => {
        const after = stores[i].stats().heap
        const lookups = after.hits + after.misses - before[i].hits - before[i].misses
        rows.push({
          name: `${workload.label}: ${tier.label}`,
          opsPerSec: rates[i].sort((x, y) => x - y)[RUNS >> 1],
          vs: tier.maxHeapBytes === 0 ? undefined : `${workload.label}: tier off`,
          values: { hit: ((after.hits - before[i].hits) / lookups) * 100, entries: after.entries },
          note: (after as { bypassed?: boolean }).bypassed === true ? 'bypassed at the end' : undefined,
        })
      })
    }
  } finally {
    await Promise.all(stores.map((store) => store.close()))
    for (const copy of copies) fs.rmSync(copy, { recursive: true, force: true })
  }
  report('heap-admission', 'A small heap tier against none: readrandom, 100 B values', rows, {
    command: `npm run bench -- heap-admission${QUICK ? ' --quick' : ''}`,
    workload: `${KEYS.toLocaleString('en-US')} keys of 16 B with ${VALUE_BYTES} B values; ${READS.toLocaleString('en-US')} getSync a run; a warm-up run, then 6 runs of each tier alternating (ABBA…), median`,
  }, { columns: [{ key: 'hit', header: 'heap hits %', digits: 1 }, { key: 'entries', header: 'heap entries' }] })
} finally {
  fs.rmSync(dir, { recursive: true, force: true })
}
