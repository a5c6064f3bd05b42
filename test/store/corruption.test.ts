/**
 * Damaged files under a closed store, per backend: bytes flipped in journals
 * and sidecars, and a journal replaced by garbage. Whatever the damage, the
 * store opens, reports it, and every get returns either nothing or exactly
 * the value that was set: never wrong bytes.
 */
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it, type TestContext } from 'node:test'
import { JournalDir, openStore, type Store, type StoreOptions } from '../../src/index.js'
import type { CorruptionReport } from '../../src/journal/corruption.js'
import { FLAG_TAGGED, HDR_VERSION, REC_FLAGS, REC_KEY_LENGTH } from '../../src/journal/format.js'
import type { BackendName } from '../../src/native.js'
import { BACKENDS } from '../helpers/backends.js'
import { isValueFor, valueFor } from '../helpers/records.js'
import { tempDir } from '../helpers/temp-dir.js'

/** The smallest journal, so a few thousand entries span several of them. */
const JOURNAL_BYTES = 64 * 1024
const ENTRIES = 3000
const FLIPS = 200
/** SPILLWAY_SEED=n replays a run: every test below derives its PRNG from it. */
const SEED = process.env.SPILLWAY_SEED === undefined ? (Math.random() * 2 ** 32) >>> 0 : Number(process.env.SPILLWAY_SEED)

/**
 * A seeded source of numbers in [0, 1): SHA-256 of the seed and a block
 * counter, read 32 bits at a time, so a failing run replays from its seed.
 */
function prng(seed: number): () => number {
  let block = Buffer.alloc(0)
  let blocks = 0
  let at = 0
  return () => {
    if (at === block.length) {
      block = createHash('sha256').update(`${seed}:${blocks++}`).digest()
      at = 0
    }
    const n = block.readUInt32LE(at)
    at += 4
    return n / 2 ** 32
  }
}

function keyOf(i: number): string {
  return `entry-${i}`
}

/** Mostly small incompressible values; every tenth is large and compressible, so it is stored snappy-compressed. */
function valueOf(i: number): Buffer {
  const key = keyOf(i)
  return i % 10 === 0 ? Buffer.alloc(1024 + (i % 512), valueFor(key, i, 32)) : valueFor(key, i, 16 + ((i * 7919) % 300))
}

function isValueOf(i: number, value: Uint8Array): boolean {
  return i % 10 === 0 ? Buffer.from(value).equals(valueOf(i)) : isValueFor(keyOf(i), i, value)
}

function options(dir: string, backend: BackendName, extra: Partial<StoreOptions> = {}): StoreOptions {
  // No compaction: every journal written stays as it was written, for the damage to land on.
  return { dir, backend, journalBytes: JOURNAL_BYTES, maxDiskBytes: Infinity, autoCompact: false, ...extra }
}

/**
 * Sets entries [from, to) in a fresh store on `dir` and closes it. Sidecars
 * are built in the background and close() may leave some to the next open,
 * so a replay by the journal engine then writes any still missing: every
 * sealed journal has its hint before the damage.
 */
async function populate(dir: string, backend: BackendName, from = 0, to = ENTRIES): Promise<void> {
  const store = await openStore(options(dir, backend))
  for (let i = from; i < to; i++) await store.set(keyOf(i), valueOf(i))
  await store.close()
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
  try {
    jd.replay(() => {})
  } finally {
    jd.close()
  }
}

function filesEnding(dir: string, ...suffixes: string[]): string[] {
  return fs.readdirSync(dir).filter((name) => suffixes.some((s) => name.endsWith(s))).sort().map((name) => path.join(dir, name))
}

/**
 * Whether a byte is one of a journal header's version field. A damaged
 * version is indistinguishable from a newer format, which refuses the whole
 * directory by design (ERR_JOURNAL_VERSION; see the test of it below), so the
 * random flips leave those four bytes alone.
 */
function isVersionByte(file: string, offset: number): boolean {
  return file.endsWith('.journal') && offset >= HDR_VERSION && offset < HDR_VERSION + 4
}

/**
 * Flips `count` single bytes (XOR with a non-zero byte) at offsets spread over
 * `files` in proportion to their sizes, except journal version bytes.
 */
function flipBytes(files: string[], count: number, random: () => number): Map<string, number> {
  const sizes = files.map((file) => fs.statSync(file).size)
  const total = sizes.reduce((a, b) => a + b, 0)
  const perFile = new Map<string, number>()
  for (let n = 0; n < count; n++) {
    let at = Math.floor(random() * total)
    let i = 0
    while (at >= sizes[i]) at -= sizes[i++]
    if (isVersionByte(files[i], at)) {
      n--
      continue
    }
    const fd = fs.openSync(files[i], 'r+')
    const byte = Buffer.alloc(1)
    fs.readSync(fd, byte, 0, 1, at)
    byte[0] ^= 1 + Math.floor(random() * 255)
    fs.writeSync(fd, byte, 0, 1, at)
    fs.closeSync(fd)
    const name = path.basename(files[i])
    perFile.set(name, (perFile.get(name) ?? 0) + 1)
  }
  return perFile
}

interface ReadBack {
  served: Set<number>
  wrong: string[]
}

/** Reads entries [from, to): each must be missing or exactly its value. */
async function readBack(store: Store, from = 0, to = ENTRIES): Promise<ReadBack> {
  const result: ReadBack = { served: new Set(), wrong: [] }
  for (let i = from; i < to; i++) {
    const value = await store.get(keyOf(i))
    if (value === undefined) {
      if (store.has(keyOf(i))) result.wrong.push(`${keyOf(i)}: get() finds nothing but has() says it is there`)
      continue
    }
    if (isValueOf(i, value)) result.served.add(i)
    else result.wrong.push(`${keyOf(i)}: ${value.byteLength} wrong bytes`)
  }
  return result
}

async function listedKeys(store: Store): Promise<string[]> {
  const keys: string[] = []
  for await (const key of store.keys()) keys.push(key)
  return keys.sort()
}

function reasons(reports: CorruptionReport[]): string {
  const counts = new Map<string, number>()
  for (const r of reports) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1)
  return [...counts].map(([reason, n]) => `${reason}×${n}`).join(' ') || 'none'
}

/** Which journal (by file name) holds each entry's newest record, read with the journal engine itself. */
function journalOfEachEntry(dir: string, backend: BackendName): Map<number, string> {
  const where = new Map<number, string>()
  const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
  try {
    jd.replay((e) => {
      const key = Buffer.from(e.key).toString('utf8')
      where.set(Number(key.slice('entry-'.length)), path.basename(jd.journal(e.journalId)!.file))
    })
  } finally {
    jd.close()
  }
  return where
}

/**
 * The shared check after damage: the store opens, reports at least one
 * corruption when `expectReports`, serves only right values (twice over, the
 * second time partly from the heap tier), lists in keys() exactly what it
 * serves, and keeps new writes across a further restart.
 */
async function checkDamagedStore(t: TestContext, dir: string, backend: BackendName, expectReports: boolean): Promise<ReadBack> {
  const reports: CorruptionReport[] = []
  const store = await openStore(options(dir, backend, { onCorruption: (r) => reports.push(r) }))
  let first: ReadBack
  try {
    first = await readBack(store)
    t.diagnostic(`${first.served.size} of ${ENTRIES} entries served; corruption reports: ${reasons(reports)}`)
    assert.deepEqual(first.wrong, [], 'no entry comes back with wrong bytes')
    if (expectReports) assert.ok(reports.length > 0, 'the damage was reported to onCorruption')
    assert.equal(store.stats().corruptions, reports.length, 'stats().corruptions counts the reports')
    const again = await readBack(store)
    assert.deepEqual(again.wrong, [], 'no entry comes back with wrong bytes on a second read')
    assert.deepEqual([...again.served].sort(), [...first.served].sort(), 'a second read serves the same entries')
    assert.deepEqual(await listedKeys(store), [...first.served].map(keyOf).sort(), 'keys() lists exactly the entries get() serves')
    // The damaged directory takes new writes, and keeps them across a restart.
    for (let i = ENTRIES; i < ENTRIES + 200; i++) await store.set(keyOf(i), valueOf(i))
  } finally {
    await store.close()
  }
  const reopened = await openStore(options(dir, backend))
  try {
    const after = await readBack(reopened, 0, ENTRIES + 200)
    assert.deepEqual(after.wrong, [], 'after a restart, no entry comes back with wrong bytes')
    const lostNew = [...Array(200).keys()].map((n) => ENTRIES + n).filter((i) => !after.served.has(i))
    assert.deepEqual(lostNew.map(keyOf), [], 'entries set after the damaged store opened survive the next restart')
    const lostOld = [...first.served].filter((i) => !after.served.has(i))
    assert.deepEqual(lostOld.map(keyOf), [], 'entries served before the restart are still served after it')
  } finally {
    await reopened.close()
  }
  return first
}

for (const backend of BACKENDS) {
  describe(`store corruption (${backend} backend)`, () => {
    it(`survives ${FLIPS} random byte flips in its closed journals and never serves wrong bytes`, async (t) => {
      const dir = tempDir('store-flips')
      await populate(dir, backend)
      const journals = filesEnding(dir, '.journal')
      assert.ok(journals.length >= 4, `the entries span several journals (${journals.length})`)
      const seed = (SEED + 1) >>> 0
      const flipped = flipBytes(journals, FLIPS, prng(seed))
      t.diagnostic(`seed ${seed} (SPILLWAY_SEED=${SEED}): flips per file ${JSON.stringify(Object.fromEntries(flipped))}`)
      await checkDamagedStore(t, dir, backend, true)
    })

    it('rebuilds from the journals when its hint and bloom sidecars have flipped bytes, and serves every entry', async (t) => {
      const dir = tempDir('store-hint-flips')
      await populate(dir, backend)
      const sidecars = filesEnding(dir, '.hint', '.bloom')
      assert.equal(filesEnding(dir, '.hint').length, filesEnding(dir, '.journal').length - 1, 'every sealed journal has its hint file')
      const seed = (SEED + 2) >>> 0
      const flipped = flipBytes(sidecars, 50, prng(seed))
      t.diagnostic(`seed ${seed} (SPILLWAY_SEED=${SEED}): flips per file ${JSON.stringify(Object.fromEntries(flipped))}`)
      const reports: CorruptionReport[] = []
      const store = await openStore(options(dir, backend, { onCorruption: (r) => reports.push(r) }))
      try {
        const seen = await readBack(store)
        t.diagnostic(`corruption reports: ${reasons(reports)}`)
        assert.deepEqual(seen.wrong, [], 'no entry comes back with wrong bytes')
        assert.equal(seen.served.size, ENTRIES, 'every entry is served: the journals themselves are intact')
        assert.ok(reports.some((r) => r.reason === 'bad-sidecar' && r.file.endsWith('.hint')), 'a damaged hint file was reported')
      } finally {
        await store.close()
      }
    })

    it(`survives ${FLIPS} random byte flips spread over its journals and hint files together`, async (t) => {
      const dir = tempDir('store-all-flips')
      await populate(dir, backend)
      const seed = (SEED + 3) >>> 0
      const flipped = flipBytes(filesEnding(dir, '.journal', '.hint'), FLIPS, prng(seed))
      t.diagnostic(`seed ${seed} (SPILLWAY_SEED=${SEED}): flips per file ${JSON.stringify(Object.fromEntries(flipped))}`)
      await checkDamagedStore(t, dir, backend, true)
    })

    it('opens with one journal replaced by garbage of the same size, and serves every entry of the others', async (t) => {
      const dir = tempDir('store-garbage')
      await populate(dir, backend)
      const where = journalOfEachEntry(dir, backend)
      const journals = filesEnding(dir, '.journal')
      const victim = journals[Math.floor(journals.length / 2)]
      const random = prng((SEED + 4) >>> 0)
      const garbage = Buffer.alloc(fs.statSync(victim).size)
      for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256)
      fs.writeFileSync(victim, garbage)
      const inVictim = [...where].filter(([, file]) => file === path.basename(victim)).map(([i]) => i)
      t.diagnostic(`${path.basename(victim)} (${inVictim.length} entries) of ${journals.length} journals replaced by garbage`)
      assert.ok(inVictim.length > 0 && inVictim.length < ENTRIES, 'the victim held some of the entries')
      const served = await checkDamagedStore(t, dir, backend, true)
      const lost = [...Array(ENTRIES).keys()].filter((i) => !served.served.has(i) && where.get(i) !== path.basename(victim))
      assert.deepEqual(lost.map(keyOf), [], 'every entry of the other journals is served')
      assert.ok(inVictim.every((i) => !served.served.has(i)), 'the victim journal\'s entries are gone')
    })

    it('refuses the directory with ERR_JOURNAL_VERSION when a journal\'s version field is damaged, and changes no file', async () => {
      const dir = tempDir('store-version')
      await populate(dir, backend)
      const journals = filesEnding(dir, '.journal')
      const victim = journals[Math.floor(journals.length / 2)]
      const fd = fs.openSync(victim, 'r+')
      fs.writeSync(fd, Buffer.from([0x4d]), 0, 1, HDR_VERSION + 1)
      fs.closeSync(fd)
      const before = journals.map((file) => fs.readFileSync(file))
      await assert.rejects(openStore(options(dir, backend)), (err: Error & { code?: string }) => err.code === 'ERR_JOURNAL_VERSION')
      assert.ok(journals.every((file, i) => fs.readFileSync(file).equals(before[i])), 'every journal is left as it was')
      // The refusal released the directory: once the damage is undone, the store opens with everything.
      const fix = fs.openSync(victim, 'r+')
      fs.writeSync(fix, Buffer.from([0]), 0, 1, HDR_VERSION + 1)
      fs.closeSync(fix)
      const store = await openStore(options(dir, backend))
      try {
        assert.equal((await readBack(store)).served.size, ENTRIES)
      } finally {
        await store.close()
      }
    })

    // Damage to one record in the middle of the newest (active) journal: its last byte (covered by
    // the CRC only); the low byte of its key length (which then no longer adds up to the record
    // length); or its flags turned to 'tagged' (a known flag, so again only the CRC tells).
    const damages = [['a value byte', -1, 0x5a], ['the key-length field', REC_KEY_LENGTH, 0x5a], ['its flags turned to tagged', REC_FLAGS, FLAG_TAGGED]] as const
    for (const [damage, at, mask] of damages) {
      it(`keeps writes made after it recovered an active journal with ${damage} of one record damaged, across the next restart`, async (t) => {
        const dir = tempDir('store-damaged-active')
        await populate(dir, backend)
        const active = filesEnding(dir, '.journal').at(-1)!
        const records: { offset: number; length: number }[] = []
        const jd = JournalDir.open(dir, { journalBytes: JOURNAL_BYTES, backend })
        jd.replayJournal(jd.activeJournalId()!, (e) => records.push({ offset: e.offset, length: e.length }))
        jd.close()
        assert.ok(records.length >= 4, `the active journal holds records (${records.length})`)
        const target = records[Math.floor(records.length / 2)]
        const offset = at < 0 ? target.offset + target.length + at : target.offset + at
        const fd = fs.openSync(active, 'r+')
        const byte = Buffer.alloc(1)
        fs.readSync(fd, byte, 0, 1, offset)
        byte[0] ^= mask
        fs.writeSync(fd, byte, 0, 1, offset)
        fs.closeSync(fd)
        t.diagnostic(`flipped byte ${offset - target.offset} of the record at ${target.offset} in ${path.basename(active)} (record ${records.indexOf(target) + 1} of ${records.length})`)
        await checkDamagedStore(t, dir, backend, true)
      })
    }
  })
}
