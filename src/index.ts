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
export { openStore, Store } from './store/store.js'
export type { SetOptions } from './store/store.js'
export type { Admission, BackgroundError, BackgroundOperation, Durability, StoreOptions } from './store/options.js'
export type { StoreStats, TierStats } from './store/stats.js'
export type { CompactionReport } from './store/compactor.js'
export type { LeaseClaim, LeaseTable } from './store/lease-table.js'
export type { CompactOptions, EntryInfo } from './store/store.js'
export type { CompactionProgress } from './store/compactor.js'
export type { JournalStats } from './store/journal-stats.js'
/** For tools (the `spillway` command): a store directory read without opening it, and its journals checked read-only. */
export { inspectStoreDirectory } from './store/store-directory.js'
export type { StoreDirectoryInfo } from './store/store-directory.js'
export { verifyJournals } from './journal/journal-verification.js'
export type { JournalVerification, VerifyOptions } from './journal/journal-verification.js'
