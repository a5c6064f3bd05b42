import { mapping as defaultMapping, mappingFor, type BackendName, type MappingApi } from '../native.js'
import { checkBoolean, checkFunction, checkInteger, checkLimit, checkOneOf } from '../option-checks.js'
import { ignoreCorruption, RECOVERY_MODES, type CorruptionHandler, type RecoveryMode } from './corruption.js'
import { HEADER_BYTES, MAX_JOURNAL_BYTES, MIN_JOURNAL_BYTES } from './format.js'

export interface JournalDirOptions {
  /** Size of each journal file, header included. @default 64 MiB */
  journalBytes?: number
  /** Bytes of sealed journals kept mapped; the least recently read beyond it go cold (pread). @default Infinity */
  maxMappedBytes?: number
  /** A sealed journal unread for this long is unmapped. @default 60000 */
  coldAfterMs?: number
  /** @default 'point-in-time' */
  recovery?: RecoveryMode
  /** Told of every damaged stretch recovery or a read passes over. */
  onCorruption?: CorruptionHandler
  /** @default the process's backend: see backend() */
  backend?: BackendName
  /** Check each record's CRC32C when it is read. @default true */
  verifyReads?: boolean
  /** The clock for record write times. @default Date.now */
  now?: () => number
}

/** JournalDirOptions checked, with every default filled in and the backend resolved to its mapping API. */
export interface CheckedJournalDirOptions {
  journalBytes: number
  maxMappedBytes: number
  coldAfterMs: number
  recovery: RecoveryMode
  onCorruption: CorruptionHandler
  verifyReads: boolean
  now: () => number
  api: MappingApi
}

const DEFAULT_JOURNAL_BYTES = 64 * 1024 * 1024

/** Checks JournalDir options at construction: a bad one throws a TypeError naming it. */
export function checkJournalDirOptions(options: JournalDirOptions): CheckedJournalDirOptions {
  const thing = 'JournalDir'
  const journalBytes = checkInteger(thing, 'journalBytes', options.journalBytes ?? DEFAULT_JOURNAL_BYTES, MIN_JOURNAL_BYTES, MAX_JOURNAL_BYTES)
  if (journalBytes % HEADER_BYTES !== 0) throw new TypeError(`${thing} options.journalBytes must be a multiple of ${HEADER_BYTES}; got ${journalBytes}`)
  return {
    journalBytes,
    maxMappedBytes: checkLimit(thing, 'maxMappedBytes', options.maxMappedBytes ?? Infinity),
    coldAfterMs: checkLimit(thing, 'coldAfterMs', options.coldAfterMs ?? 60_000),
    recovery: checkOneOf(thing, 'recovery', options.recovery ?? 'point-in-time', RECOVERY_MODES),
    onCorruption: checkFunction(thing, 'onCorruption', options.onCorruption ?? ignoreCorruption),
    verifyReads: checkBoolean(thing, 'verifyReads', options.verifyReads ?? true),
    now: checkFunction(thing, 'now', options.now ?? Date.now),
    api: options.backend === undefined ? defaultMapping : mappingFor(checkOneOf(thing, 'backend', options.backend, ['mmap', 'pread'])),
  }
}
