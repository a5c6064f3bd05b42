/**
 * Native (SSE4.2 via N-API) vs TypeScript (slicing-by-8) CRC32C, at record
 * sizes the journal sees. Small inputs are where the N-API call overhead can
 * outweigh the faster loop, so this decides which one the journal uses there.
 *
 *   npm run bench -- crc32c
 */
import { randomBytes } from 'node:crypto'
import { crc32c as tsCrc32c } from '../src/crc32c.js'
import { availableBackends, crc32cHardware, mappingFor } from '../src/native.js'
import { report, type Row } from './lib/harness.js'

type Crc = (crc: number, bytes: Uint8Array, offset: number, length: number) => number

const CASES: Array<{ label: string; size: number; iterations: number }> = [
  { label: '32 B', size: 32, iterations: 2_000_000 },
  { label: '128 B', size: 128, iterations: 1_000_000 },
  { label: '1 KiB', size: 1024, iterations: 200_000 },
  { label: '64 KiB', size: 65536, iterations: 4_000 },
]
const RUNS = 5

let sink = 0 // keeps the loops observable so nothing is optimised away

function timeRun(fn: Crc, data: Uint8Array, size: number, iterations: number): number {
  const start = process.hrtime.bigint()
  let crc = 0
  for (let i = 0; i < iterations; i++) crc = fn(crc, data, i & 7, size)
  const elapsed = process.hrtime.bigint() - start
  sink = (sink + crc) >>> 0
  return Number(elapsed)
}

function medianNs(fn: Crc, data: Uint8Array, size: number, iterations: number): number {
  timeRun(fn, data, size, Math.max(1, iterations >>> 2)) // warm up / tier up
  const runs = Array.from({ length: RUNS }, () => timeRun(fn, data, size, iterations)).sort((a, b) => a - b)
  return runs[RUNS >> 1]!
}

const impls: Array<[string, Crc]> = [['typescript', tsCrc32c]]
if (availableBackends().includes('mmap')) {
  impls.unshift([crc32cHardware() ? 'native sse4.2' : 'native table', mappingFor('mmap').crc32c])
} else {
  console.log('native addon not available: TypeScript only')
}

const rows: Row[] = []
for (const { label, size, iterations } of CASES) {
  const data = randomBytes(size + 8) // +8: the loop varies the start offset 0..7
  for (const [name, fn] of [...impls].reverse()) {
    const opsPerSec = iterations / (medianNs(fn, data, size, iterations) / 1e9)
    rows.push({ name: `${label} ${name}`, opsPerSec, mbPerSec: (opsPerSec * size) / 1e6, vs: name === 'typescript' ? undefined : `${label} typescript` })
  }
}
report('crc32c', 'CRC32C: native SSE4.2 against the TypeScript slicing-by-8 table', rows, { checksum: String(sink >>> 0) })
