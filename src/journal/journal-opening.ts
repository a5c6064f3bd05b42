import fs from 'node:fs'
import path from 'node:path'
import { SpillwayError } from '../errors.js'
import type { MappingApi } from '../native.js'
import type { CorruptionHandler } from './corruption.js'
import { journalFileName, parseJournalFileName } from './format.js'
import { Journal } from './journal.js'
import { removeAbandonedTempFiles } from './temp-files.js'

/**
 * The ids of the journals in `dir`, oldest first. Temporary files no writer
 * holds any more are removed on the way (temp-files.ts): the listing is the
 * one moment an opener sees every name.
 */
export function journalIdsIn(dir: string): number[] {
  const names = fs.readdirSync(dir)
  removeAbandonedTempFiles(dir, names)
  return names.map(parseJournalFileName).filter((id): id is number => id !== undefined).sort((a, b) => a - b)
}

/**
 * Opens journal `id` of `dir` for a JournalDir, or passes it over. A header
 * that does not check out is reported as 'bad-header' and the file left
 * untouched: a foreign or damaged file must not block the directory. With
 * `salvage`, a journal whose header is corrupt is opened read-only anyway,
 * since its records carry their own CRCs (FORMAT.md §Recovery). A journal
 * from a newer format (ERR_JOURNAL_VERSION) and any error not about the
 * file's contents are thrown.
 */
export function openJournalOrPassOver(api: MappingApi, dir: string, id: number, writable: boolean, onCorruption: CorruptionHandler, salvage: boolean): Journal | undefined {
  const file = path.join(dir, journalFileName(id))
  try {
    return Journal.open(api, file, writable, onCorruption)
  } catch (err) {
    if (!(err instanceof SpillwayError) || err.code === 'ERR_JOURNAL_VERSION') throw err
    onCorruption({ file, offset: 0, length: 0, reason: 'bad-header' })
    if (!salvage || err.code !== 'ERR_JOURNAL_CORRUPT') return undefined
    try {
      return Journal.openSalvaged(api, file, id)
    } catch {
      return undefined
    }
  }
}
