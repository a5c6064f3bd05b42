/**
 * bench/keydir: the store's in-heap index at 1,000,000 keys, against a
 * Map<number, object> holding the same fields.
 *
 *   npm run bench -- keydir
 *
 * - hashes are MurmurHash3 of "key-<i>", as the store computes them; misses
 *   are hashes of other keys that no entry has;
 * - lookups, updates and removals go in a random order, fixed in advance so
 *   that reading the next hash is sequential and not part of what is timed;
 * - a hit reads the location (journalId, offset, length), as a get does;
 * - memory is the growth of V8 heap used + external once GC has freed what
 *   it can. `external` already counts ArrayBuffers (typed arrays included),
 *   so adding `arrayBuffers` as well would count the table twice.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import v8 from 'node:v8'
import vm from 'node:vm'
import { Keydir } from '../src/keydir.js'
import { hashKey } from '../src/key-hash.js'
import { medianOf, medianRate, report, type Row } from './lib/harness.js'
import { seededRandom } from '../test/helpers/seeded-random.js'

const KEYS = 1_000_000
const RUNS = 5
const EXPIRES_AT = Date.now() + 3_600_000

// `npm run bench` does not pass --expose-gc: turn it on now and fetch gc
// from a fresh context, where the flag takes effect.
v8.setFlagsFromString('--expose-gc')
const gc = (globalThis.gc ?? vm.runInNewContext('gc')) as () => void

/** Heap used + external once garbage is gone. ArrayBuffers are freed after a GC, by a sweeper that needs the event loop, hence the waits. */
async function memoryInUse(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(20)
  }
  const { heapUsed, external } = process.memoryUsage()
  return heapUsed + external
}


function hashesOf(prefix: string, count: number): Uint32Array {
  const encoder = new TextEncoder()
  const bytes = new Uint8Array(64)
  const hashes = new Uint32Array(count)
  for (let i = 0; i < count; i++) {
    const { written } = encoder.encodeInto(`${prefix}-${i}`, bytes)
    hashes[i] = hashKey(bytes, 0, written)
  }
  return hashes
}

function shuffled(values: Uint32Array, seed: number): Uint32Array {
  const random = seededRandom(seed)
  const out = values.slice()
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const swap = out[i]
    out[i] = out[j]
    out[j] = swap
  }
  return out
}

const hashes = hashesOf('key', KEYS)
const present = new Set(hashes)
const misses = hashesOf('miss', KEYS).filter((hash) => !present.has(hash))
present.clear()
const lookups = shuffled(hashes, 1)
const removals = shuffled(hashes, 2).subarray(0, KEYS / 2)
// Entry i: as if 1 MiB journals of 128-byte records.
const journalIdOf = (i: number): number => 1 + (i >>> 13)
const offsetOf = (i: number): number => (i & 8191) * 128
const lengthOf = (i: number): number => 100 + (i & 15)

let sink = 0 // keeps the loops observable so nothing is optimised away

// --- keydir --------------------------------------------------------------

function buildKeydir(options: { initialCapacity?: number } = {}): Keydir {
  const keydir = new Keydir(options)
  for (let i = 0; i < KEYS; i++) keydir.insert(hashes[i], journalIdOf(i), offsetOf(i), lengthOf(i), EXPIRES_AT)
  return keydir
}

function keydirFindHits(keydir: Keydir): number {
  for (let i = 0; i < KEYS; i++) {
    const slot = keydir.find(lookups[i])
    sink += keydir.journalId(slot) + keydir.offset(slot) + keydir.length(slot)
  }
  return KEYS
}

function keydirFindMisses(keydir: Keydir): number {
  for (let i = 0; i < misses.length; i++) sink += keydir.find(misses[i])
  return misses.length
}

function keydirUpdates(keydir: Keydir): number {
  for (let i = 0; i < KEYS; i++) keydir.update(keydir.find(lookups[i]), 2, offsetOf(i), 200, EXPIRES_AT + 1000)
  return KEYS
}

async function keydirRemovals(): Promise<number> {
  const keydir = buildKeydir()
  const start = process.hrtime.bigint()
  for (let i = 0; i < removals.length; i++) keydir.remove(keydir.find(removals[i]))
  return removals.length / (Number(process.hrtime.bigint() - start) / 1e9)
}

// --- Map baseline --------------------------------------------------------

interface MapEntry {
  journalId: number
  offset: number
  length: number
  expiresAt: number
  hit: boolean
}

function buildMap(): Map<number, MapEntry> {
  const map = new Map<number, MapEntry>()
  for (let i = 0; i < KEYS; i++) map.set(hashes[i], { journalId: journalIdOf(i), offset: offsetOf(i), length: lengthOf(i), expiresAt: EXPIRES_AT, hit: false })
  return map
}

function mapGetHits(map: Map<number, MapEntry>): number {
  for (let i = 0; i < KEYS; i++) {
    const entry = map.get(lookups[i])!
    sink += entry.journalId + entry.offset + entry.length
  }
  return KEYS
}

function mapGetMisses(map: Map<number, MapEntry>): number {
  for (let i = 0; i < misses.length; i++) sink += map.get(misses[i]) === undefined ? 0 : 1
  return misses.length
}

function mapUpdates(map: Map<number, MapEntry>): number {
  for (let i = 0; i < KEYS; i++) {
    const entry = map.get(lookups[i])!
    entry.journalId = 2
    entry.offset = offsetOf(i)
    entry.length = 200
    entry.expiresAt = EXPIRES_AT + 1000
    entry.hit = false
  }
  return KEYS
}

async function mapRemovals(): Promise<number> {
  const map = buildMap()
  const start = process.hrtime.bigint()
  for (let i = 0; i < removals.length; i++) map.delete(removals[i])
  return removals.length / (Number(process.hrtime.bigint() - start) / 1e9)
}

// --- measure -------------------------------------------------------------

const baseline = await memoryInUse()
let keydir: Keydir | undefined = buildKeydir()
const keydirBytesPerKey = (await memoryInUse() - baseline) / KEYS
const tableBytesPerKey = keydir.byteSize / keydir.size
const capacity = keydir.capacity
let hitProbes = 0
let missProbes = 0
for (let i = 0; i < KEYS; i++) hitProbes += keydir.probeLength(hashes[i])
for (let i = 0; i < misses.length; i++) missProbes += keydir.probeLength(misses[i])
const hitProbeLength = hitProbes / KEYS
const missProbeLength = missProbes / misses.length
keydir = undefined

const mapBaseline = await memoryInUse()
let map: Map<number, MapEntry> | undefined = buildMap()
const mapBytesPerKey = (await memoryInUse() - mapBaseline) / KEYS
const mapKeys = map.size
map = undefined

/** The most bytes a key the table itself held at any size from 100k to 2M keys: growth steps included. */
function worstTableBytesPerKey(): number {
  const growing = new Keydir()
  const random = seededRandom(3)
  let worst = 0
  for (let i = 0; i < 2_000_000; i++) {
    growing.insert(Math.floor(random() * 2 ** 32), 1, 0, 1, 0)
    if (i >= 100_000) worst = Math.max(worst, growing.byteSize / growing.size)
  }
  return worst
}
const worstBytesPerKey = worstTableBytesPerKey()
await memoryInUse()

const rows: Row[] = []
rows.push({ name: 'Map insert', opsPerSec: medianRate(RUNS, () => (buildMap(), KEYS)), note: `${mapBytesPerKey.toFixed(1)} B/key` })
rows.push({
  name: 'keydir insert, growing from 1024 slots', opsPerSec: medianRate(RUNS, () => (buildKeydir(), KEYS)), vs: 'Map insert',
  note: `${keydirBytesPerKey.toFixed(1)} B/key`,
})
rows.push({
  name: 'keydir insert, presized', opsPerSec: medianRate(RUNS, () => (buildKeydir({ initialCapacity: Math.ceil(KEYS / 0.85) + 1 }), KEYS)), vs: 'Map insert',
  note: 'ends at load 0.85',
})
await memoryInUse()
const timeMap = buildMap()
const timeKeydir = buildKeydir()
rows.push({ name: 'Map get hit', opsPerSec: medianRate(RUNS, () => mapGetHits(timeMap)), note: 'get + read location' })
rows.push({ name: 'keydir find hit', opsPerSec: medianRate(RUNS, () => keydirFindHits(timeKeydir)), vs: 'Map get hit', note: `find + read location; ${hitProbeLength.toFixed(2)} slots probed` })
rows.push({ name: 'Map get miss', opsPerSec: medianRate(RUNS, () => mapGetMisses(timeMap)) })
rows.push({ name: 'keydir find miss', opsPerSec: medianRate(RUNS, () => keydirFindMisses(timeKeydir)), vs: 'Map get miss', note: `${missProbeLength.toFixed(2)} slots probed` })
rows.push({ name: 'Map update', opsPerSec: medianRate(RUNS, () => mapUpdates(timeMap)), note: 'get + assign fields' })
rows.push({ name: 'keydir update', opsPerSec: medianRate(RUNS, () => keydirUpdates(timeKeydir)), vs: 'Map update', note: 'find + update' })
rows.push({ name: 'Map delete', opsPerSec: await medianOf(RUNS, mapRemovals), note: 'half the keys' })
rows.push({ name: 'keydir remove', opsPerSec: await medianOf(RUNS, keydirRemovals), vs: 'Map delete', note: 'find + remove, half the keys' })

report('keydir', `keydir: the in-heap index at ${KEYS.toLocaleString('en')} keys, against Map<number, object>`, rows, {
  keys: `${KEYS.toLocaleString('en')} (the Map holds ${mapKeys.toLocaleString('en')}: it keeps one entry per hash)`,
  'keydir bytes/key, heap + external after GC': keydirBytesPerKey.toFixed(1),
  'keydir bytes/key, capacity × 20 / size': `${tableBytesPerKey.toFixed(1)} (capacity ${capacity.toLocaleString('en')}, load ${(KEYS / capacity).toFixed(3)})`,
  'keydir worst capacity × 20 / size, 100k to 2M keys': worstBytesPerKey.toFixed(1),
  'Map bytes/key, heap + external after GC': mapBytesPerKey.toFixed(1),
  'average probe length': `hit ${hitProbeLength.toFixed(2)}, miss ${missProbeLength.toFixed(2)} slots`,
  checksum: String(sink >>> 0),
})
