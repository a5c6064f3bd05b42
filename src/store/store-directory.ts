import fs from 'node:fs'
import path from 'node:path'
import { isSystemError, SpillwayError } from '../errors.js'
import { HEADER_BYTES, journalFileName, parseJournalFileName } from '../journal/format.js'
import { readHeader } from '../journal/header.js'

/** What a store directory says about itself on disk: see `inspectStoreDirectory`. */
export interface StoreDirectoryInfo {
  /** Journal ids, oldest first. */
  journals: number[]
  /**
   * The journal size every store sharing the directory must open it with
   * (ERR_OPTIONS_CONFLICT otherwise): from `LOCK` (FORMAT.md), else from the
   * newest journal's header; undefined when neither says.
   */
  journalBytes: number | undefined
}

/**
 * Reads what `dir` holds without opening, locking or changing anything:
 * undefined when it holds no spillway store (neither a `LOCK` file nor a
 * journal), so a tool can refuse a wrong directory instead of creating a
 * store in it. Throws the fs error for a `dir` that cannot be listed.
 */
export function inspectStoreDirectory(dir: string): StoreDirectoryInfo | undefined {
  const names = fs.readdirSync(dir)
  const journals = names.map(parseJournalFileName).filter((id): id is number => id !== undefined).sort((a, b) => a - b)
  if (!names.includes('LOCK') && journals.length === 0) return undefined
  return { journals, journalBytes: lockJournalBytes(dir) ?? newestCapacity(dir, journals) }
}

function lockJournalBytes(dir: string): number | undefined {
  try {
    const settings = JSON.parse(fs.readFileSync(path.join(dir, 'LOCK'), 'utf8')) as { journalBytes?: unknown }
    return typeof settings.journalBytes === 'number' ? settings.journalBytes : undefined
  } catch {
    return undefined
  }
}

function newestCapacity(dir: string, journals: number[]): number | undefined {
  for (const id of [...journals].reverse()) {
    const file = path.join(dir, journalFileName(id))
    try {
      const page = new Uint8Array(HEADER_BYTES)
      const fd = fs.openSync(file, 'r')
      try {
        fs.readSync(fd, page, 0, HEADER_BYTES, 0)
      } finally {
        fs.closeSync(fd)
      }
      return readHeader(page, file).capacity
    } catch (err) {
      if (err instanceof SpillwayError || isSystemError(err, 'ENOENT')) continue
      throw err
    }
  }
  return undefined
}
