import type { CorruptionHandler, RecoveryMode } from '../journal/corruption.js'
import { RECOVERY_MODES } from '../journal/corruption.js'
import { HEADER_BYTES, MAX_JOURNAL_BYTES, MIN_JOURNAL_BYTES } from '../journal/format.js'
import type { BackendName } from '../native.js'
import { checkBoolean, checkFunction, checkInteger, checkLimit, checkOneOf } from '../option-checks.js'

export type Durability = 'none' | 'interval' | 'always'
export type Admission = 'always' | 'second-hit'
/** Work the store does where no caller awaits it. */
export type BackgroundOperation = 'flush' | 'maintenance'
/** A failure of background work: always an Error with a string `.code` (an errno name such as `EIO`, or a SpillwayError code). */
export type BackgroundError = Error & { code: string }

export interface StoreOptions {
  /** The directory of journals; created if missing. Required. */
  dir: string
  /** Bytes of decoded values the in-heap tier may hold. @default 64 MiB */
  maxHeapBytes?: number
  /**
   * Bytes of journals on disk. The oldest journals are evicted whole to stay
   * one journal below it, so opening the next journal reaches it at most.
   * At least three journals. @default 1 GiB
   */
  maxDiskBytes?: number
  /** Size of each journal file. @default 64 MiB */
  journalBytes?: number
  /** Sealed journals kept mapped; beyond it the least recently read are read with pread. @default Infinity */
  maxMappedBytes?: number
  /**
   * When a write is durable: 'none' leaves it to the kernel; 'interval'
   * msyncs at least every `syncIntervalMs`, so a machine crash loses at most
   * that window; 'always' msyncs before `set` resolves.
   * @default 'interval'
   */
  durability?: Durability
  /** @default 100 */
  syncIntervalMs?: number
  /**
   * Snappy-compress values of at least `compressThreshold` bytes (kept raw
   * when that does not shrink them). Off by default: decompressing costs a
   * disk-tier read several times what the read itself does (about 8 µs for
   * 4 KiB against 1 to 2 µs here), so it pays only where disk space is dearer
   * than CPU.
   * @default false
   */
  compression?: boolean
  /** @default 1024 */
  compressThreshold?: number
  /** 'second-hit' keeps a key in the heap tier only until it is set a second time within the doorkeeper's window. @default 'always' */
  admission?: Admission
  /** Keys the doorkeeper remembers before it ages. @default 100000 */
  admissionWindow?: number
  /** A sealed journal this dead (overwritten, deleted, expired bytes) starts a compaction. @default 0.6 */
  compactionThreshold?: number
  /** A compaction also sweeps in sealed journals at least this dead. @default 0.4 */
  compactionSweepThreshold?: number
  /** Compact automatically after a journal fills. @default true */
  autoCompact?: boolean
  /**
   * Whether this store runs compaction and disk-budget eviction after a
   * journal fills (its own or, on a shared directory, another process's).
   * false suits a process that only watches or reads a directory others
   * write (`spillway dashboard DIR`): it then never takes the maintenance
   * lease from them, so no turn of theirs is skipped for it. `compact()`
   * still compacts when called. @default true
   */
  maintenance?: boolean
  /** Milliseconds a compaction works before it yields to the event loop. @default 4 */
  compactionSliceMs?: number
  /** @default 'point-in-time' */
  recovery?: RecoveryMode
  onCorruption?: CorruptionHandler
  /**
   * Told of every failure of work no caller awaits: the flushes of
   * 'interval' durability ('flush') and the evictions and compactions that
   * run after a journal fills ('maintenance'). A failed flush also makes the
   * next `flush()` reject with the same error, since the bytes it covered may
   * never reach the disk. Each failure is counted in `stats().errors` too.
   * What the hook throws is not caught.
   * @default none: failures are only counted
   */
  onError?: (error: BackgroundError, operation: BackgroundOperation) => void
  /** Check each record's CRC32C when it is read from disk. @default true */
  verifyReads?: boolean
  /** @default the process's backend */
  backend?: BackendName
  /** The clock for TTLs and write times. @default Date.now */
  now?: () => number
}

export type ResolvedStoreOptions = Required<Omit<StoreOptions, 'onCorruption' | 'onError' | 'backend'>> &
  Pick<StoreOptions, 'onCorruption' | 'onError' | 'backend'>

const MiB = 1024 * 1024
const THING = 'Store'

/** Checks every option once, at open, and fills in the defaults. */
export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${THING} options must be an object`)
  if (typeof options.dir !== 'string' || options.dir.length === 0) throw new TypeError(`${THING} options.dir must be a non-empty string`)
  const journalBytes = checkInteger(THING, 'journalBytes', options.journalBytes ?? 64 * MiB, MIN_JOURNAL_BYTES, MAX_JOURNAL_BYTES)
  if (journalBytes % HEADER_BYTES !== 0) throw new TypeError(`${THING} options.journalBytes must be a multiple of ${HEADER_BYTES}; got ${journalBytes}`)
  const maxDiskBytes = checkLimit(THING, 'maxDiskBytes', options.maxDiskBytes ?? 1024 * MiB)
  if (maxDiskBytes < 3 * journalBytes) {
    throw new TypeError(`${THING} options.maxDiskBytes must be at least three journals (${3 * journalBytes} bytes); got ${maxDiskBytes}`)
  }
  const compactionThreshold = checkRatio('compactionThreshold', options.compactionThreshold ?? 0.6)
  const compactionSweepThreshold = checkRatio('compactionSweepThreshold', options.compactionSweepThreshold ?? 0.4)
  if (compactionSweepThreshold > compactionThreshold) {
    throw new TypeError(`${THING} options.compactionSweepThreshold must not exceed options.compactionThreshold`)
  }
  return {
    dir: options.dir,
    maxHeapBytes: checkInteger(THING, 'maxHeapBytes', options.maxHeapBytes ?? 64 * MiB, 0, Number.MAX_SAFE_INTEGER),
    maxDiskBytes,
    journalBytes,
    maxMappedBytes: checkLimit(THING, 'maxMappedBytes', options.maxMappedBytes ?? Infinity),
    durability: checkOneOf(THING, 'durability', options.durability ?? 'interval', ['none', 'interval', 'always']),
    syncIntervalMs: checkInteger(THING, 'syncIntervalMs', options.syncIntervalMs ?? 100, 1, 3_600_000),
    compression: checkBoolean(THING, 'compression', options.compression ?? false),
    compressThreshold: checkInteger(THING, 'compressThreshold', options.compressThreshold ?? 1024, 1, MAX_JOURNAL_BYTES),
    admission: checkOneOf(THING, 'admission', options.admission ?? 'always', ['always', 'second-hit']),
    admissionWindow: checkInteger(THING, 'admissionWindow', options.admissionWindow ?? 100_000, 16, 1 << 30),
    compactionThreshold,
    compactionSweepThreshold,
    autoCompact: checkBoolean(THING, 'autoCompact', options.autoCompact ?? true),
    maintenance: checkBoolean(THING, 'maintenance', options.maintenance ?? true),
    compactionSliceMs: checkInteger(THING, 'compactionSliceMs', options.compactionSliceMs ?? 4, 0, 1000),
    recovery: checkOneOf(THING, 'recovery', options.recovery ?? 'point-in-time', RECOVERY_MODES),
    onCorruption: options.onCorruption === undefined ? undefined : checkFunction(THING, 'onCorruption', options.onCorruption),
    onError: options.onError === undefined ? undefined : checkFunction(THING, 'onError', options.onError),
    verifyReads: checkBoolean(THING, 'verifyReads', options.verifyReads ?? true),
    backend: options.backend === undefined ? undefined : checkOneOf<BackendName>(THING, 'backend', options.backend, ['mmap', 'pread']),
    now: checkFunction(THING, 'now', options.now ?? Date.now),
  }
}

function checkRatio(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new TypeError(`${THING} options.${name} must be a number between 0 and 1 (exclusive); got ${String(value)}`)
  }
  return value
}
