/**
 * Run with --expose-gc by memory-bound.test.ts: stores `entries` entries
 * with one tag each (a tag of their own, the costliest case), and prints one
 * JSON line with the growth of the JS heap and of external memory, per
 * entry, between two full collections.
 */
import { openStore } from '../../src/index.js'
import { fullCollection } from '../helpers/full-collection.js'

const [dir, backend, countArg] = process.argv.slice(2)
const entries = Number(countArg)

const store = await openStore({ dir, backend: backend as 'mmap' | 'pread', maxHeapBytes: 0, journalBytes: 64 * 1024 * 1024 })
const value = Buffer.alloc(32, 7)
// Warm-up: the code paths compile, and the first journal and typed arrays exist, before the baseline.
for (let i = 0; i < 1000; i++) await store.set(`warm-${i}`, value, { tags: [`warm-${i}`] })
await fullCollection('memory-child')
const before = process.memoryUsage()
for (let i = 0; i < entries; i++) await store.set(`entry-${i}`, value, { tags: [`item:${i}`] })
await fullCollection('memory-child')
const after = process.memoryUsage()
// The tags work: one purge finds its entry among all the others.
const purged = await store.purgeTag(`item:${entries >> 1}`)
await store.close()
console.log(JSON.stringify({
  heapPerEntry: (after.heapUsed - before.heapUsed) / entries,
  // arrayBuffers, not external: V8 counts mapped journal views in external, though they are file-backed.
  externalPerEntry: (after.arrayBuffers - before.arrayBuffers) / entries,
  purged,
}))
