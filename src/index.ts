/**
 * spillway's public entry point. Everything exported here is the supported
 * interface; deeper imports are internal and may change.
 */
export { backend, nativeLoadError } from './native.js'
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
export { Cache } from './client/cache.js'
export { openCache } from './client/open-cache.js'
export type { CacheEntry, Loader } from './client/cache.js'
export type { CacheClientOptions, CacheErrorContext, CacheErrorOperation, CacheOptions, CacheSetOptions } from './client/options.js'
export type { Serializer, SerializerName, SerializerOption } from './client/serializers.js'
