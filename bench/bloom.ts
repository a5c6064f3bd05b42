/**
 * bench/bloom: the doorkeeper's filter. The npm package `bloom-filters`
 * against spillway's own BloomFilter, on the same keys: each admission is
 * one test and, for a new key, one add.
 *
 *   npm run bench -- bloom
 */
import { createRequire } from 'node:module'
import { BloomFilter } from '../src/bloom-filter.js'
import { hashKey } from '../src/key-hash.js'
import { medianRate, report, type Row } from './lib/harness.js'

const require = createRequire(import.meta.url)
const { BloomFilter: PackageBloom } = require('bloom-filters') as typeof import('bloom-filters')
const packageVersion = (require('bloom-filters/package.json') as { version: string }).version

const KEYS = 200_000
const keys = Array.from({ length: KEYS }, (_, i) => `/api/items/${i}?page=${i % 7}`)
const encoded = keys.map((k) => Buffer.from(k))

function admitWithPackage(): number {
  const filter = PackageBloom.create(KEYS, 0.01)
  let admitted = 0
  for (const key of keys) {
    if (filter.has(key)) admitted++
    else filter.add(key)
  }
  return KEYS + admitted
}

function admitWithOurs(): number {
  const filter = BloomFilter.forKeys(KEYS)
  let admitted = 0
  for (const bytes of encoded) {
    const hash = hashKey(bytes, 0, bytes.byteLength)
    if (filter.mayContain(hash)) admitted++
    else filter.add(hash)
  }
  return KEYS + admitted
}

const rows: Row[] = [
  { name: `bloom-filters ${packageVersion}: test + add`, opsPerSec: medianRate(3, admitWithPackage) },
  { name: 'spillway BloomFilter: hash + test + add', opsPerSec: medianRate(5, admitWithOurs), vs: `bloom-filters ${packageVersion}: test + add` },
]
report('bloom', 'Doorkeeper filter: bloom-filters against spillway\'s BloomFilter, 1 % false positives', rows)
