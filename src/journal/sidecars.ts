import path from 'node:path'
import { writeFileAtomic, readFileIfExists } from '../atomic-file.js'
import { BloomFilter } from '../bloom-filter.js'
import { hashKey } from '../key-hash.js'
import { decodeBloomSidecar, encodeBloomSidecar } from './bloom-sidecar.js'
import type { CorruptionHandler } from './corruption.js'
import { bloomFileName, hintFileName } from './format.js'
import { checkHintFile, forEachHint, HintWriter } from './hint-file.js'
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
}

/** Visits the records a scan found. */
export function visitScanned(journalId: number, view: ByteView, offsets: Uint32Array, visit: (entry: ReplayEntry) => void): void {
  const entry: ReplayEntry = { journalId, offset: 0, length: 0, flags: 0, expiresAt: 0, key: view.u8.subarray(0, 0) }
  for (const offset of offsets) {
    const info = decodeRecord(view, offset)
    entry.offset = offset
    entry.length = info.length
    entry.flags = info.flags
    entry.expiresAt = info.expiresAt
    entry.key = view.u8.subarray(info.keyOffset, info.keyOffset + info.keyLength)
    visit(entry)
  }
}

/**
 * Replays a sealed journal from its hint file and returns its bloom filter
 * (from the bloom sidecar, or rebuilt from the hint's keys). Returns undefined,
 * having visited nothing, when the hint is missing or fails a check: the
 * caller then scans the journal itself.
 */
export function loadSidecars(dir: string, journal: Journal, onCorruption: CorruptionHandler,
  visit: (entry: ReplayEntry) => void): BloomFilter | undefined {
  const hintFile = path.join(dir, hintFileName(journal.id))
  const hint = readFileIfExists(hintFile)
  if (hint === undefined) return undefined
  const checked = checkHintFile(hint, journal.id)
  if ('refused' in checked) {
    onCorruption({ file: hintFile, offset: 0, length: hint.byteLength, reason: 'bad-sidecar' })
    return undefined
  }
  const bloomFile = path.join(dir, bloomFileName(journal.id))
  const bloomBytes = readFileIfExists(bloomFile)
  let bloom = bloomBytes === undefined ? undefined : decodeBloomSidecar(bloomBytes, journal.id)
  if (bloom !== undefined && 'refused' in bloom) {
    onCorruption({ file: bloomFile, offset: 0, length: bloomBytes!.byteLength, reason: 'bad-sidecar' })
    bloom = undefined
  }
  const rebuilt = bloom === undefined ? BloomFilter.forKeys(checked.count) : undefined
  const entry: ReplayEntry = { journalId: journal.id, offset: 0, length: 0, flags: 0, expiresAt: 0, key: hint.subarray(0, 0) }
  forEachHint(hint, (h) => {
    entry.offset = h.offset
    entry.length = h.length
    entry.flags = h.flags
    entry.expiresAt = h.expiresAt
    entry.key = h.key
    rebuilt?.add(hashKey(h.key, 0, h.key.byteLength))
    visit(entry)
  })
  if (rebuilt !== undefined) {
    try {
      writeFileAtomic(bloomFile, encodeBloomSidecar(rebuilt, journal.id))
    } catch {
      // Only a restart shortcut: the filter in hand serves this run either way.
    }
  }
  return bloom ?? rebuilt
}

/**
 * Builds the hint and bloom sidecars of a sealed journal from the records a
 * scan found, writes them into `dir` (unless undefined) and returns the bloom
 * filter.
 */
export function writeSidecars(dir: string | undefined, journalId: number, view: ByteView, offsets: Uint32Array): BloomFilter {
  const hint = new HintWriter(offsets.length * 40 + 64)
  const bloom = BloomFilter.forKeys(offsets.length)
  visitScanned(journalId, view, offsets, (e) => {
    hint.add(e.offset, e.length, e.flags, e.expiresAt, e.key)
    bloom.add(hashKey(e.key, 0, e.key.byteLength))
  })
  if (dir !== undefined) {
    writeFileAtomic(path.join(dir, hintFileName(journalId)), hint.finish(journalId))
    writeFileAtomic(path.join(dir, bloomFileName(journalId)), encodeBloomSidecar(bloom, journalId))
  }
  return bloom
}
