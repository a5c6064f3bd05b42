/**
 * Every error spillway raises on purpose carries a stable `.code`, so callers
 * branch on the code and never on the message. Native failures keep the errno
 * name as their code (`ENOSPC`, `EACCES`, …) with `.syscall` set, as Node's own
 * `fs` errors do.
 */

export type SpillwayErrorCode =
  | 'ERR_KEY_INVALID'
  | 'ERR_KEY_TOO_LARGE'
  | 'ERR_VALUE_INVALID'
  | 'ERR_VALUE_TOO_LARGE'
  | 'ERR_NOT_A_JOURNAL'
  | 'ERR_JOURNAL_VERSION'
  | 'ERR_JOURNAL_CORRUPT'
  | 'ERR_JOURNAL_CLOSED'
  | 'ERR_DIR_NOT_WRITABLE'
  /** The store's `dir` exists and is not a directory. */
  | 'ERR_NOT_A_DIRECTORY'
  | 'ERR_DISK_FULL'
  | 'ERR_LOCKED'
  /** Another process has the store's directory open with settings this open disagrees with (journalBytes, format version). */
  | 'ERR_OPTIONS_CONFLICT'
  | 'ERR_STORE_CLOSED'
  /** Background work (a flush, a compaction, an eviction) failed with an error that carried no code of its own; see `.cause`. */
  | 'ERR_BACKGROUND_FAILED'
  /** The native addon could not be loaded (see `.cause`), and the mmap backend was required. */
  | 'ERR_NATIVE_UNAVAILABLE'
  /** A Cache's serializer could not encode a value (a BigInt in JSON, a function in v8, …): nothing was stored. See `.cause`. */
  | 'ERR_SERIALIZE'
  /** A Cache could not decode a stored entry (another serializer's, a plain Store's, or bytes its serializer refuses): it counts as a miss. */
  | 'ERR_DESERIALIZE'
  /** An optional peer dependency (prom-client for `spillway/metrics`) is not installed; see `.cause`. */
  | 'ERR_PEER_MISSING'

export class SpillwayError extends Error {
  readonly code: SpillwayErrorCode
  /** The file the error is about, when there is one. */
  readonly file: string | undefined

  constructor(code: SpillwayErrorCode, message: string, options?: { file?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'SpillwayError'
    this.code = code
    this.file = options?.file
  }
}

/** An errno-style failure from a system call, shaped like Node's own `fs` errors. */
export interface SystemError extends Error {
  code: string
  syscall: string
  errno?: number
}

export function isSystemError(err: unknown, code?: string): err is SystemError {
  return err instanceof Error && typeof (err as SystemError).code === 'string' &&
    (code === undefined || (err as SystemError).code === code)
}

/**
 * Turns the errno failures that mean "this directory cannot take writes" into
 * typed store errors, and passes anything else through untouched.
 */
export function translateWriteError(err: unknown, what: string): unknown {
  if (isSystemError(err, 'ENOSPC') || isSystemError(err, 'EDQUOT')) {
    return new SpillwayError('ERR_DISK_FULL', `${what}: no space left on the device`, { cause: err })
  }
  if (isSystemError(err, 'EACCES') || isSystemError(err, 'EPERM') || isSystemError(err, 'EROFS')) {
    return new SpillwayError('ERR_DIR_NOT_WRITABLE', `${what}: not writable (${(err as SystemError).code})`, { cause: err })
  }
  return err
}

/** `err` if it is an Error with a string `.code`; otherwise an ERR_BACKGROUND_FAILED wrapping it, naming `what` failed. */
export function withErrorCode(err: unknown, what: string): Error & { code: string } {
  if (err instanceof Error && typeof (err as SystemError).code === 'string') return err as Error & { code: string }
  return new SpillwayError('ERR_BACKGROUND_FAILED', `${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err })
}
