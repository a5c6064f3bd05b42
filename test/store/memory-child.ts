/**
 * Run with --expose-gc by memory-bound.test.ts: stores `entries` entries
 * with one tag each (a tag of their own, the costliest case), and prints one
 * JSON line with the growth of the JS heap and of external memory, per
 * entry, between two full collections.
 */
import { setImmediate as tick } from 'node:timers/promises'
import { openStore } from '../../src/index.js'

const [dir, backend, countArg] = process.argv.slice(2)
const entries = Number(countArg)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('memory-child: run with --expose-gc')

/** Full collections, with turns of the event loop between: V8 frees array buffers' memory after the collection. */
async function collect(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc!()
    await tick()
  }
}

const store = await openStore({ dir, backend: backend as 'mmap' | 'pread', maxHeapBytes: 0, journalBytes: 64 * 1024 * 1024 })
const value = Buffer.alloc(32, 7)
// Warm-up: the code paths compile, and the first journal and typed arrays exist, before the baseline.
for (let i = 0; i < 1000; i++) await store.set(`warm-${i}`, value, { tags: [`warm-${i}`] })
await collect()
const before = process.memoryUsage()
for (let i = 0; i < entries; i++) await store.set(`entry-${i}`, value, { tags: [`item:${i}`] })
await collect()
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
