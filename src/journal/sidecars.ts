import path from 'node:path'
import { readFileIfExists, readFileIfExistsAsync, writeFileAtomic } from '../atomic-file.js'
import { BloomFilter } from '../bloom-filter.js'
import { hashKey } from '../key-hash.js'
import { decodeBloomSidecar, encodeBloomSidecar } from './bloom-sidecar.js'
import type { CorruptionHandler } from './corruption.js'
import { bloomFileName, FLAG_TAGGED, hintFileName } from './format.js'
import { checkHintFile, HintCursor, HintWriter } from './hint-file.js'
import type { Journal } from './journal.js'
import { decodeRecord, type ByteView } from './record.js'

/** One record as replay reports it. The object and its key view are reused between calls. */
export interface ReplayEntry {
  journalId: number
  offset: number
  length: number
  flags: number
  expiresAt: number
  key: Uint8Array
  /** A tagged record's tag block (FORMAT.md §Tag block), else undefined. */
  tags: Uint8Array | undefined
}

/** Visits the records a scan found. */
export function visitScanned(journalId: number, view: ByteView, offsets: Uint32Array, visit: (entry: ReplayEntry) => void): void {
  const entry: ReplayEntry = { journalId, offset: 0, length: 0, flags: 0, expiresAt: 0, key: view.u8.subarray(0, 0), tags: undefined }
  for (const offset of offsets) {
    const info = decodeRecord(view, offset)
    entry.offset = offset
    entry.length = info.length
    entry.flags = info.flags
    entry.expiresAt = info.expiresAt
    entry.key = view.u8.subarray(info.keyOffset, info.keyOffset + info.keyLength)
    entry.tags = (info.flags & FLAG_TAGGED) === 0 ? undefined : tagBlock(view, info.valueOffset, info.valueLength)
    visit(entry)
  }
}

/** The tag block at the front of a tagged record's value, or undefined when the value is too short to hold one. */
function tagBlock(view: ByteView, valueOffset: number, valueLength: number): Uint8Array | undefined {
  if (valueLength < 2) return undefined
  const length = view.dv.getUint16(valueOffset, true)
  return length + 2 > valueLength ? undefined : view.u8.subarray(valueOffset + 2, valueOffset + 2 + length)
}

/**
 * Replays a sealed journal from its hint file and returns its bloom filter
 * (from the bloom sidecar, or rebuilt from the hint's keys). Returns undefined,
 * having visited nothing, when the hint is missing or fails a check: the
 * caller then scans the journal itself.
 */
export function loadSidecars(dir: string, journal: Journal, onCorruption: CorruptionHandler,
  visit: (entry: ReplayEntry) => void): BloomFilter | undefined {
  const hint = readHint(dir, journal.id, onCorruption)
  if (hint === undefined) return undefined
  const count = new HintCursor(hint).count
  const bloomFile = path.join(dir, bloomFileName(journal.id))
  const bloom = loadBloom(dir, journal.id, onCorruption)
  const rebuilt = bloom === undefined ? BloomFilter.forKeys(count) : undefined
  const entry: ReplayEntry = { journalId: journal.id, offset: 0, length: 0, flags: 0, expiresAt: 0, key: hint.subarray(0, 0), tags: undefined }
  for (const h = new HintCursor(hint); h.next();) {
    entry.offset = h.offset
    entry.length = h.length
    entry.flags = h.flags
    entry.expiresAt = h.expiresAt
    entry.key = h.key
    entry.tags = h.tags
    rebuilt?.add(hashKey(h.key, 0, h.key.byteLength))
    visit(entry)
  }
  if (rebuilt !== undefined) {
    try {
      writeFileAtomic(bloomFile, encodeBloomSidecar(rebuilt, journal.id))
    } catch {
      // Only a restart shortcut: the filter in hand serves this run either way.
    }
  }
  return bloom ?? rebuilt
}

/** A sealed journal's bloom sidecar, when it exists and passes its checks. */
export function loadBloom(dir: string, journalId: number, onCorruption: CorruptionHandler): BloomFilter | undefined {
  const file = path.join(dir, bloomFileName(journalId))
  const bytes = readFileIfExists(file)
  if (bytes === undefined) return undefined
  const bloom = decodeBloomSidecar(bytes, journalId)
  if (!('refused' in bloom)) return bloom
  onCorruption({ file, offset: 0, length: bytes.byteLength, reason: 'bad-sidecar' })
  return undefined
}

/** A sealed journal's hint file, when it exists and passes its checks. */
export function readHint(dir: string, journalId: number, onCorruption: CorruptionHandler): Uint8Array | undefined
export function readHint(dir: string, journalId: number, onCorruption: CorruptionHandler, async: true): Promise<Uint8Array | undefined>
export function readHint(dir: string, journalId: number, onCorruption: CorruptionHandler, async = false):
  Uint8Array | undefined | Promise<Uint8Array | undefined> {
  const file = path.join(dir, hintFileName(journalId))
  const checked = (hint: Uint8Array | undefined) => {
    if (hint === undefined || !('refused' in checkHintFile(hint, journalId))) return hint
    onCorruption({ file, offset: 0, length: hint.byteLength, reason: 'bad-sidecar' })
    return undefined
  }
  return async ? readFileIfExistsAsync(file).then(checked) : checked(readFileIfExists(file))
}

/**
 * Builds the hint and bloom sidecars of a sealed journal from the records a
 * scan found, writes them into `dir` (unless undefined) and returns both.
 */
export function writeSidecars(dir: string | undefined, journalId: number, view: ByteView, offsets: Uint32Array): { bloom: BloomFilter; hint: Uint8Array } {
  const hint = new HintWriter(offsets.length * 40 + 64)
  const bloom = BloomFilter.forKeys(offsets.length)
  visitScanned(journalId, view, offsets, (e) => {
    hint.add(e.offset, e.length, e.flags, e.expiresAt, e.key, e.tags)
    bloom.add(hashKey(e.key, 0, e.key.byteLength))
  })
  const hintBytes = hint.finish(journalId)
  if (dir !== undefined) {
    writeFileAtomic(path.join(dir, hintFileName(journalId)), hintBytes)
    writeFileAtomic(path.join(dir, bloomFileName(journalId)), encodeBloomSidecar(bloom, journalId))
  }
  return { bloom, hint: hintBytes }
}
