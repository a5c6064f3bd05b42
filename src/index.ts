/**
 * spillway's public entry point. Everything exported here is the supported
 * interface; deeper imports are internal and may change.
 */
export { backend } from './native.js'
export type { BackendName } from './native.js'
export { JournalDir } from './journal/journal-dir.js'
export type { AppendFields, JournalDirOptions, RecordLocation, ReplayEntry, StoredRecord } from './journal/journal-dir.js'
export type { CorruptionHandler, CorruptionReason, CorruptionReport, RecoveryMode } from './journal/corruption.js'
export { SpillwayError } from './errors.js'
export type { SpillwayErrorCode } from './errors.js'
