/**
 * Worker for mapping.test.ts: maps the shared file itself (mappings are never
 * transferred between threads) and hammers two counters with Atomics.
 */
import * as fs from 'node:fs'
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import { mappingFor } from '../../src/native.js'

function run(port: NonNullable<typeof parentPort>, { file, iterations }: { file: string; iterations: number }): void {
  const api = mappingFor('mmap')
  const fd = fs.openSync(file, 'r+')
  const buffer = api.map(fd, 4096, true)
  const counter = new Int32Array(buffer, 0, 1)
  const wide = new BigInt64Array(buffer, 8, 1)

  // Both workers start together so the increments really interleave.
  const ready = new Int32Array(buffer, 16, 1)
  Atomics.add(ready, 0, 1)
  while (Atomics.load(ready, 0) < 2) { /* spin until the peer has mapped too */ }

  for (let i = 0; i < iterations; i++) {
    Atomics.add(counter, 0, 1)
    Atomics.add(wide, 0, 1n)
  }
  api.unmap(buffer)
  fs.closeSync(fd)
  port.postMessage('done')
}

// `node --test dist/test/` runs every .js under a directory named "test" as a
// test file; started that way (not as a Worker) there is nothing to do.
if (!isMainThread && parentPort !== null && workerData !== null) run(parentPort, workerData)
