/**
 * Run with --expose-gc by heap-memory.test.ts: promotes `promotions` small
 * values into a 1 MiB heap tier, one promotion among every 41 reads, the
 * others being first reads (which allocate and drop their values), and
 * prints one JSON line: the tier's counted bytes, and how much the array
 * buffers grew meanwhile, between full collections.
 */
import { openStore } from '../../src/index.js'
import { fullCollection } from '../helpers/full-collection.js'

const [dir, backend, countArg] = process.argv.slice(2)
const promotions = Number(countArg)
const FIRST_READS_BETWEEN = 40

const store = await openStore({ dir, backend: backend as 'mmap' | 'pread', maxHeapBytes: 2 ** 20, maxDiskBytes: Infinity, autoCompact: false })
const value = Buffer.alloc(100, 7)
const fresh = promotions * FIRST_READS_BETWEEN
for (let i = 0; i < promotions + fresh; i++) await store.set(`k${i}`, value)
// The first read of each key to be promoted: its second read promotes it.
for (let i = 0; i < promotions; i++) store.getSync(`k${i}`)
await fullCollection('heap-memory-child')
const before = process.memoryUsage().arrayBuffers
for (let i = 0; i < promotions; i++) {
  for (let j = 0; j < FIRST_READS_BETWEEN; j++) store.getSync(`k${promotions + i * FIRST_READS_BETWEEN + j}`)
  store.getSync(`k${i}`)
}
await fullCollection('heap-memory-child')
const grown = process.memoryUsage().arrayBuffers - before
const { heap } = store.stats()
await store.close()
console.log(JSON.stringify({ entries: heap.entries, tierBytes: heap.bytes, arrayBuffersGrown: grown }))
