/**
 * bench/scale: spillway as its key count grows to 10 M, beside lmdb-js on
 * the same keys, in one run (issue 15, target 8).
 *
 *   npm run bench -- scale
 *   node dist/bench/scale.js [--keys=1000000,3000000,10000000] [--engines=spillway,lmdb] [--save]
 *
 * Keys are 16 bytes (`String(i).padStart(16, '0')`), values 100 random
 * bytes (incompressible, so compression cannot shrink the work). For each
 * engine and key count, two child processes on one fresh directory:
 * - fill: every key once, in a seeded random order (fillrandom), promise
 *   APIs in waves of 1000 operations in flight, as bench/store drives them;
 * - open: the directory is opened and the open timed (a reopen with the page
 *   cache warm: the files were just written), the resident set read from
 *   /proc/self/status, spillway's keydir bytes per key taken from `stats()`,
 *   then 1 M gets of random present keys (readrandom, median of 3 passes),
 *   then two more opens timed: the reopen figure is the median of three.
 * spillway runs with its heap tier off (every read goes to the journals),
 * durability 'interval' and other options default, as bench/store's
 * "heap off" engine; lmdb with its defaults, async batched `put` and sync
 * `getBinary`, as in bench/store.
 */
import { fork } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { openStore } from '../src/index.js'
import { report, saveResult, type Row } from './lib/harness.js'
import { xorshift } from './lib/seeded-random.js'
import { groupedBarChart } from './lib/svg-chart.js'

type EngineName = 'spillway' | 'lmdb'
interface Job { engine: EngineName; keys: number; phase: 'fill' | 'open'; dir: string }
interface Filled { writesPerSec: number }
interface Opened { openMs: number[]; rssAfterOpen: number; rssAfterReads: number; readsPerSec: number; keydirBytesPerKey?: number }

const ENGINES: EngineName[] = ['spillway', 'lmdb']
const KEY_COUNTS = [1_000_000, 3_000_000, 10_000_000]
const VALUE_BYTES = 100
const WINDOW = 1000
const READS = 1_000_000
const READ_PASSES = 3
const OPENS = 3

function keyOf(i: number): string {
  return String(i).padStart(16, '0')
}

/** 4096 distinct random values; key i gets value i mod 4096. */
function valuePool(): Buffer[] {
  const random = xorshift(0x5ca1e)
  return Array.from({ length: 4096 }, () => {
    const value = Buffer.allocUnsafe(VALUE_BYTES)
    for (let b = 0; b < VALUE_BYTES; b++) value[b] = (random() * 256) | 0
    return value
  })
}

/** 0 … n-1 in a seeded random order (Fisher–Yates). */
function shuffled(n: number): Uint32Array {
  const random = xorshift(0xf111)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = order[i]
    order[i] = order[j]
    order[j] = t
  }
  return order
}

function residentBytes(): number {
  const text = fs.readFileSync('/proc/self/status', 'utf8')
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(text)?.[1] ?? NaN) * 1024
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

/** What each engine does in a child: put, get, and open/close a directory. */
interface Opener {
  open(dir: string, keys: number): Promise<{
    put(key: string, value: Buffer): Promise<unknown>
    getSync(key: string): Buffer | undefined
    /** Resolves once every put issued so far is committed. */
    settled(): Promise<void>
    keydirBytesPerKey?(): number
    close(): Promise<void>
  }>
}

const OPENERS: Record<EngineName, () => Promise<Opener>> = {
  async spillway() {
    return {
      async open(dir, keys) {
        const store = await openStore({ dir, durability: 'interval', maxHeapBytes: 0, maxDiskBytes: Math.max(2 ** 30, 4 * keys * (VALUE_BYTES + 64)) })
        return {
          put: (key, value) => store.set(key, value),
          getSync: (key) => store.getSync(key),
          async settled() {},
          keydirBytesPerKey: () => store.stats().disk.keydirBytes / store.stats().disk.entries,
          close: () => store.close(),
        }
      },
    }
  },
  async lmdb() {
    const { open } = await import('lmdb')
    return {
      async open(dir) {
        const db = open<Buffer, string>({ path: dir, encoding: 'binary' })
        return {
          put: (key, value) => db.put(key, value),
          getSync: (key) => db.getBinary(key),
          async settled() { await db.committed },
          close: () => db.close(),
        }
      },
    }
  },
}

async function fill(opener: Opener, job: Job): Promise<Filled> {
  const values = valuePool()
  const order = shuffled(job.keys)
  const db = await opener.open(job.dir, job.keys)
  const start = process.hrtime.bigint()
  for (let i = 0; i < job.keys; i += WINDOW) {
    const wave: Promise<unknown>[] = []
    for (let j = i, end = Math.min(job.keys, i + WINDOW); j < end; j++) wave.push(db.put(keyOf(order[j]), values[order[j] & 4095]))
    await Promise.all(wave)
  }
  await db.settled()
  const writesPerSec = job.keys / secondsSince(start)
  await db.close()
  return { writesPerSec }
}

async function reopen(opener: Opener, job: Job): Promise<Opened> {
  const openMs: number[] = []
  let start = process.hrtime.bigint()
  const db = await opener.open(job.dir, job.keys)
  openMs.push(secondsSince(start) * 1000)
  // Read before the read keys exist: the resident set is then the engine's and Node's own.
  const rssAfterOpen = residentBytes()
  const keydirBytesPerKey = db.keydirBytesPerKey?.()
  const values = valuePool()
  const random = xorshift(0x4ead)
  const wanted = Array.from({ length: READS }, () => Math.floor(random() * job.keys))
  const readKeys = wanted.map(keyOf)
  const rates: number[] = []
  for (let pass = 0; pass < READ_PASSES; pass++) {
    start = process.hrtime.bigint()
    let hits = 0
    for (let i = 0; i < READS; i++) if (db.getSync(readKeys[i]) !== undefined) hits++
    rates.push(READS / secondsSince(start))
    if (hits !== READS) throw new Error(`${job.engine} found ${hits} of ${READS} present keys`)
  }
  // The bytes, not only the presence: a store that lost its index would fail here.
  for (let i = 0; i < 1000; i++) {
    const got = db.getSync(readKeys[i])
    if (got === undefined || !got.equals(values[wanted[i] & 4095])) throw new Error(`${job.engine} returned a wrong value for ${readKeys[i]}`)
  }
  const rssAfterReads = residentBytes()
  await db.close()
  while (openMs.length < OPENS) {
    start = process.hrtime.bigint()
    const again = await opener.open(job.dir, job.keys)
    openMs.push(secondsSince(start) * 1000)
    await again.close()
  }
  return { openMs, rssAfterOpen, rssAfterReads, readsPerSec: median(rates), keydirBytesPerKey }
}

function runChild<T>(job: Job): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(job)],
      { execArgv: ['--max-old-space-size=16384'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let result: T | undefined
    child.on('message', (m) => (result = m as T))
    child.on('exit', (code) => (result !== undefined ? resolve(result) : reject(new Error(`${job.engine} ${job.phase} of ${job.keys} keys exited with ${code}`))))
  })
}

function label(keys: number): string {
  return `${keys / 1e6} M`
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const list = (flag: string) => args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3).split(',')
  const counts = list('keys')?.map(Number) ?? KEY_COUNTS
  const engines = (list('engines') ?? ENGINES) as EngineName[]
  for (const n of counts) if (!Number.isSafeInteger(n) || n < READS / 1000) throw new Error(`--keys takes key counts of at least ${READS / 1000}, not ${n}`)
  for (const e of engines) if (!ENGINES.includes(e)) throw new Error(`--engines takes ${ENGINES.join(', ')}, not ${e}`)

  const rows: Row[] = []
  const writes = new Map<EngineName, number[]>()
  const reads = new Map<EngineName, number[]>()
  const facts: Record<string, string> = {
    command: `node dist/bench/scale.js ${args.join(' ')}`.trim(),
    workload: `16-byte keys, ${VALUE_BYTES} B random values; fillrandom in waves of ${WINDOW}; readrandom ${READS.toLocaleString('en-US')} gets of present keys, median of ${READ_PASSES}; reopen median of ${OPENS}, page cache warm`,
    chart: '![write and read throughput against key count](scale.svg)',
  }
  for (const keys of counts) {
    for (const engine of engines) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-bench-scale-${engine}-`))
      try {
        const filled = await runChild<Filled>({ engine, keys, phase: 'fill', dir })
        const opened = await runChild<Opened>({ engine, keys, phase: 'open', dir })
        console.log(engine, keys, JSON.stringify({ ...filled, ...opened }))
        const peer = engine === 'spillway' && engines.includes('lmdb') ? 'lmdb' : undefined
        const reopenMs = median(opened.openMs)
        rows.push({ name: `${engine} fillrandom, ${label(keys)} keys`, opsPerSec: filled.writesPerSec, vs: peer && `${peer} fillrandom, ${label(keys)} keys` })
        rows.push({
          name: `${engine} readrandom, ${label(keys)} keys`, opsPerSec: opened.readsPerSec, vs: peer && `${peer} readrandom, ${label(keys)} keys`,
          values: { reopenMs, keydir: opened.keydirBytesPerKey ?? NaN, rssOpen: opened.rssAfterOpen / 2 ** 20, rssReads: opened.rssAfterReads / 2 ** 20 },
        })
        writes.set(engine, [...(writes.get(engine) ?? []), filled.writesPerSec])
        reads.set(engine, [...(reads.get(engine) ?? []), opened.readsPerSec])
        if (engine === 'spillway') {
          facts[`spillway at ${label(keys)} keys`] = `reopen ${reopenMs.toFixed(0)} ms (target ≤ 8000 at 10 M), keydir ${opened.keydirBytesPerKey?.toFixed(1)} B/key (target ≤ 32)`
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }
  }
  report('scale', `spillway and lmdb from ${label(counts[0])} to ${label(counts[counts.length - 1])} keys of ${VALUE_BYTES} B`, rows, facts, {
    columns: [
      { key: 'reopenMs', header: 'reopen ms' }, { key: 'keydir', header: 'keydir B/key', digits: 1 },
      { key: 'rssOpen', header: 'RSS after open MiB' }, { key: 'rssReads', header: 'RSS after reads MiB' },
    ],
    footer: 'Produced by `npm run bench -- scale --save` (see the top of bench/scale.ts). One fill and one open process per engine and key count; the machine is shared, so compare ratios, not absolute figures.',
  })
  const groups = counts.map((n) => `${label(n)} keys`)
  saveResult('scale.svg', groupedBarChart({
    title: 'spillway and lmdb: throughput against key count (100 B values)',
    unit: 'ops/s',
    panels: [
      { title: 'fillrandom', groups, series: engines.map((e) => ({ name: e, values: writes.get(e) ?? [] })) },
      { title: 'readrandom (spillway heap tier off)', groups, series: engines.map((e) => ({ name: e, values: reads.get(e) ?? [] })) },
    ],
  }))
}

if (process.argv[2] === '--child') {
  const job = JSON.parse(process.argv[3]) as Job
  const opener = await OPENERS[job.engine]()
  process.send!(job.phase === 'fill' ? await fill(opener, job) : await reopen(opener, job))
  process.disconnect()
} else {
  await main()
}
