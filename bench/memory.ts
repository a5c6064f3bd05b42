/**
 * bench/memory: what each stored entry costs in memory, spillway beside
 * lmdb (RSS) and lru-cache (JS heap) holding the same entries, in one run.
 *
 *   npm run bench -- memory
 *   node dist/bench/memory.js [--entries=1000000,3000000] [--quick]
 *     [--engines=spillway,lmdb] [--values=100,2048] [--tags=1,3]
 *
 * Entries of 100 B and of 2 KiB, with 0, 1 and 3 tags each, at each count
 * (1 M by default; `--entries=1000000,3000000` adds 3 M; `--quick` is 100 k).
 * Keys are 16 bytes (`String(i).padStart(16, '0')`). Entry i's tags are
 * `g<i mod 100>` (10,000 entries per tag at 1 M), `p<i mod 10007>` and
 * `u<i>`, the first one, two or three of them.
 *
 * Each engine and case runs in a child process of its own with --expose-gc;
 * the figures are growths from just before the first write to just after the
 * last, each after full collections, divided by the entries:
 * - heap + ext: `process.memoryUsage()` heapUsed plus arrayBuffers (the
 *   memory of typed arrays and Buffers), in bytes per entry. Not `external`:
 *   V8 counts a mapped journal's whole view there, although its pages are
 *   file-backed page cache; the growth of mapped journal views is shown
 *   apart ("mapped journals", from /proc/self/maps);
 * - RSS anon / RSS file: `/proc/self/status` RssAnon and RssFile. File pages
 *   are the mapped journals (spillway) or the mapped database (lmdb): page
 *   cache, which the kernel reclaims under pressure.
 * spillway runs with `maxHeapBytes: 0`, so the figures are the disk tier's
 * own: keydir and tag postings. lmdb keeps tags as a dupSort database
 * (tag → key), lru-cache as a Map of tag → Set of keys, as a user would.
 * With tags, spillway also times `purgeTag('g7')` (10,000 entries at 1 M).
 */
import { fork } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setImmediate as tick } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { report, type Row } from './lib/harness.js'

type EngineName = 'spillway' | 'lmdb' | 'lru-cache'
interface Case { engine: EngineName; entries: number; valueBytes: number; tags: number }
interface Measured { heapPerEntry: number; externalPerEntry: number; mappedPerEntry: number; anonPerEntry: number; filePerEntry: number; purgeMs?: number; purged?: number; loadSeconds: number }

const ENGINES: EngineName[] = ['spillway', 'lmdb', 'lru-cache']
const VALUE_BYTES = [100, 2048]
const TAG_COUNTS = [0, 1, 3]

function tagsOf(i: number, count: number): string[] {
  return [`g${i % 100}`, `p${i % 10007}`, `u${i}`].slice(0, count)
}

function keyOf(i: number): string {
  return String(i).padStart(16, '0')
}

function procStatus(): { anon: number; file: number } {
  const text = fs.readFileSync('/proc/self/status', 'utf8')
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024
  return { anon: kib('RssAnon'), file: kib('RssFile') }
}

async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc!
  // V8 frees array buffers' memory after the collection, from a task: let it run.
  for (let i = 0; i < 4; i++) {
    gc()
    await tick()
  }
}

/**
 * Bytes of journal files mapped into this process (/proc/self/maps). V8
 * counts a mapped journal's whole view as external memory, but its pages are
 * file-backed page cache, not memory the process allocated: they are
 * reported apart, and left out of "heap + ext".
 */
function mappedJournalBytes(): number {
  let bytes = 0
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    if (!line.endsWith('.journal')) continue
    const [start, end] = line.slice(0, line.indexOf(' ')).split('-').map((hex) => parseInt(hex, 16))
    bytes += end - start
  }
  return bytes
}

function snapshot(): { heap: number; external: number; mapped: number; anon: number; file: number } {
  const usage = process.memoryUsage()
  return { heap: usage.heapUsed, external: usage.arrayBuffers, mapped: mappedJournalBytes(), ...procStatus() }
}

/** Loads one case into one engine and measures it; runs in the child. */
async function measure(c: Case, dir: string): Promise<Measured> {
  const value = Buffer.alloc(c.valueBytes)
  for (let i = 0; i < value.length; i++) value[i] = (i * 7919) & 0xff
  let purge: (() => Promise<number>) | undefined
  let close: () => Promise<void>
  let load: (from: number, to: number) => Promise<void>
  if (c.engine === 'spillway') {
    const { openStore } = await import('../src/index.js')
    const store = await openStore({ dir, maxHeapBytes: 0, maxDiskBytes: 64 * 2 ** 30, durability: 'none', autoCompact: false })
    load = async (from, to) => {
      for (let i = from; i < to; i++) await store.set(keyOf(i), value, c.tags === 0 ? undefined : { tags: tagsOf(i, c.tags) })
    }
    if (c.tags > 0) purge = () => store.purgeTag('g7')
    close = () => store.close()
  } else if (c.engine === 'lmdb') {
    const { open } = await import('lmdb')
    const db = open<Buffer, string>({ path: dir, encoding: 'binary', noSync: true })
    const tagDb = db.openDB<string, string>({ name: 'tags', dupSort: true, encoding: 'string' })
    load = async (from, to) => {
      for (let start = from; start < to; start += 10_000) {
        db.transactionSync(() => {
          for (let i = start; i < Math.min(to, start + 10_000); i++) {
            db.putSync(keyOf(i), value)
            for (const tag of tagsOf(i, c.tags)) tagDb.putSync(tag, keyOf(i))
          }
        })
      }
    }
    close = () => db.close()
  } else {
    const { LRUCache } = await import('lru-cache')
    const cache = new LRUCache<string, Buffer>({ max: c.entries + 1000 })
    const byTag = new Map<string, Set<string>>()
    load = async (from, to) => {
      for (let i = from; i < to; i++) {
        const key = keyOf(i)
        // A copy per entry, as a cache holds what it was given.
        cache.set(key, Buffer.from(value))
        for (const tag of tagsOf(i, c.tags)) {
          let keys = byTag.get(tag)
          if (keys === undefined) byTag.set(tag, keys = new Set())
          keys.add(key)
        }
      }
    }
    close = async () => {
      cache.clear()
      byTag.clear()
    }
  }
  // Warm-up entries (not counted) so code is compiled and first structures exist before the baseline.
  const warm = 1000
  await load(c.entries, c.entries + warm)
  await collect()
  const before = snapshot()
  const started = performance.now()
  await load(0, c.entries)
  const loadSeconds = (performance.now() - started) / 1000
  await collect()
  const after = snapshot()
  const per = (a: number, b: number) => (a - b) / c.entries
  const measured: Measured = {
    heapPerEntry: per(after.heap, before.heap), externalPerEntry: per(after.external, before.external), mappedPerEntry: per(after.mapped, before.mapped),
    anonPerEntry: per(after.anon, before.anon), filePerEntry: per(after.file, before.file), loadSeconds,
  }
  if (purge !== undefined) {
    const start = performance.now()
    measured.purged = await purge()
    measured.purgeMs = performance.now() - start
  }
  await close()
  return measured
}

function runChild(c: Case): Promise<Measured> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-bench-memory-${c.engine}-`))
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(c), dir],
      { execArgv: ['--expose-gc', '--max-old-space-size=16384'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    let result: Measured | undefined
    child.on('message', (m) => (result = m as Measured))
    child.on('exit', (code) => {
      fs.rmSync(dir, { recursive: true, force: true })
      if (result !== undefined) resolve(result)
      else reject(new Error(`${c.engine} ${JSON.stringify(c)} exited with ${code}`))
    })
  })
}

async function main(): Promise<void> {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick') || process.env.BENCH_QUICK === '1'
  const list = (flag: string) => args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3).split(',')
  const counts = list('entries')?.map(Number) ?? [quick ? 100_000 : 1_000_000]
  const engines = (list('engines') ?? ENGINES) as EngineName[]
  const rows: Row[] = []
  for (const entries of counts) {
    for (const valueBytes of list('values')?.map(Number) ?? VALUE_BYTES) {
      for (const tags of list('tags')?.map(Number) ?? TAG_COUNTS) {
        for (const engine of engines) {
          const c: Case = { engine, entries, valueBytes, tags }
          const m = await runChild(c)
          const name = `${engine}, ${entries / 1e6} M × ${valueBytes === 2048 ? '2 KiB' : `${valueBytes} B`}, ${tags} tag${tags === 1 ? '' : 's'}`
          console.log(name, JSON.stringify(m))
          rows.push({
            name, opsPerSec: entries / m.loadSeconds,
            values: { heapExt: m.heapPerEntry + m.externalPerEntry, heap: m.heapPerEntry, ext: m.externalPerEntry, mapped: m.mappedPerEntry, anon: m.anonPerEntry, file: m.filePerEntry, purgeMs: m.purgeMs ?? NaN },
            note: m.purged === undefined ? undefined : `purgeTag('g7') removed ${m.purged}`,
          })
        }
      }
    }
  }
  report('memory', 'Memory per stored entry (bytes), one child process per engine and case', rows, {
    method: 'growth over the load, after full GCs, divided by the entries; heap + ext = heapUsed + arrayBuffers (external less mapped journal views); RSS anon/file from /proc/self/status',
  }, {
    nameHeader: 'engine, entries × value, tags', rateHeader: 'loads/s',
    columns: [
      { key: 'heapExt', header: 'heap + ext B', digits: 1 }, { key: 'heap', header: 'heap B', digits: 1 }, { key: 'ext', header: 'ext B', digits: 1 },
      { key: 'mapped', header: 'mapped journals B', digits: 0 },
      { key: 'anon', header: 'RSS anon B', digits: 0 }, { key: 'file', header: 'RSS file B', digits: 0 }, { key: 'purgeMs', header: 'purge ms', digits: 1 },
    ],
    footer: 'Produced by `node dist/bench/memory.js` (see the top of bench/memory.ts). One load per case: memory, not speed, is the point; loads/s is for orientation only.',
  })
}

if (process.argv[2] === '--child') {
  const measured = await measure(JSON.parse(process.argv[3]) as Case, process.argv[4])
  process.send!(measured)
} else {
  await main()
}
