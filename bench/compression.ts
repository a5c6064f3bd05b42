/**
 * bench/compression: the value codecs a store could use, on JSON-like values
 * of 1, 4 and 16 KiB: snappyjs (what spillway uses), Node's zlib deflate at
 * level 1, and the native `snappy` package when it is installed
 * (`npm install --no-save snappy@7`: it is no dependency, see below).
 *
 *   npm run bench -- compression
 *
 * Measured here (bench/results/compression.md, snappy 7.4.3 installed from
 * its prebuilt binary with no compiler), the native `snappy` (napi-rs) was
 * level with snappyjs at 1 and 4 KiB (0.90× to 1.15×) and slower at 16 KiB
 * (decompress 0.65×): a call into native code and a new Buffer each time
 * cost what the faster loop saves. So spillway depends on snappyjs, which
 * needs no binary and so no fallback; and decompressing a 4 KiB value cost
 * several times a disk-tier read, so compression is off by default.
 */
import { createRequire } from 'node:module'
import zlib from 'node:zlib'
import { compress, uncompress } from 'snappyjs'
import { medianRate, report, type Row } from './lib/harness.js'

const require = createRequire(import.meta.url)
type Codec = { name: string; pack(b: Buffer): Uint8Array; unpack(b: Uint8Array): Uint8Array }
const codecs: Codec[] = [
  { name: 'snappyjs', pack: (b) => compress(b), unpack: (b) => uncompress(b) },
  { name: 'zlib deflateRaw level 1', pack: (b) => zlib.deflateRawSync(b, { level: 1 }), unpack: (b) => zlib.inflateRawSync(b) },
]
try {
  const native = require('snappy') as { compressSync(b: Buffer): Buffer; uncompressSync(b: Uint8Array): Buffer }
  codecs.push({ name: 'snappy (napi-rs)', pack: (b) => native.compressSync(b), unpack: (b) => native.uncompressSync(b) })
} catch {
  console.log('the native `snappy` package is not installed: `npm install --no-save snappy@7` to compare it too')
}

const record = JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: i, name: `user ${i}`, email: `user${i}@example.com`, active: i % 3 === 0 })))
const rows: Row[] = []
for (const size of [1024, 4096, 16384]) {
  const value = Buffer.from(record).subarray(0, size)
  const iterations = Math.round(2_000_000 / size) * 10
  for (const codec of codecs) {
    const packed = codec.pack(value)
    const label = `${size / 1024} KiB ${codec.name}`
    rows.push({ name: `${label} compress`, opsPerSec: medianRate(5, () => { for (let i = 0; i < iterations; i++) codec.pack(value); return iterations }),
      vs: codec.name === 'snappyjs' ? undefined : `${size / 1024} KiB snappyjs compress`, note: `${(packed.byteLength / size).toFixed(2)} of its size` })
    rows.push({ name: `${label} decompress`, opsPerSec: medianRate(5, () => { for (let i = 0; i < iterations; i++) codec.unpack(packed); return iterations }),
      vs: codec.name === 'snappyjs' ? undefined : `${size / 1024} KiB snappyjs decompress` })
  }
}
const versions: Record<string, string> = { snappyjs: (require('snappyjs/package.json') as { version: string }).version }
try {
  versions.snappy = (require('snappy/package.json') as { version: string }).version
} catch {
  versions.snappy = 'not installed'
}
report('compression', 'Value codecs: compress and decompress ops/s', rows, {
  versions: Object.entries(versions).map(([name, version]) => `${name} ${version}`).join(', '),
  values: 'the first 1, 4 or 16 KiB of a JSON array of user records',
})
