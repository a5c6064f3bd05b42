/**
 * How recovery reports what it skipped. Recovery never throws half-way through
 * a replay: every damaged stretch becomes one report, and replay goes on.
 */

export type CorruptionReason =
  /** A record cut short or garbled at the end of the written region, with nothing valid after it. */
  | 'torn-tail'
  /** Zeroed bytes below the tail followed by valid records: a writer claimed space and died before publishing. */
  | 'hole'
  /** A record whose length, layout or CRC32C does not check out, with valid records after it. */
  | 'corrupt-record'
  /** Valid records after a mid-journal corruption, dropped because the mode is 'point-in-time'. */
  | 'dropped-after-corruption'
  /** The whole journal is refused: 'tolerate-tail' found corruption that is not at the tail. */
  | 'journal-rejected'
  /** The header's static fields fail their CRC, or its dynamic words make no sense. */
  | 'bad-header'
  /** The file is shorter than the capacity its header records. */
  | 'truncated-file'
  /** A hint or bloom sidecar failed its checks; it is rebuilt from the journal. */
  | 'bad-sidecar'

export interface CorruptionReport {
  /** The damaged file's path. */
  file: string
  /** Byte offset in that file where the damage starts. */
  offset: number
  /** How many bytes were passed over (0 when unknown or not applicable). */
  length: number
  reason: CorruptionReason
}

export type CorruptionHandler = (report: CorruptionReport) => void

/**
 * What recovery does with damage that is not at the tail, following RocksDB's
 * WAL recovery modes:
 * - 'point-in-time': keep the journal up to the first corruption, drop the rest of it;
 * - 'tolerate-tail': accept a torn tail and holes, but refuse a journal with any other damage;
 * - 'salvage': skip every damaged record and keep everything that checks out.
 *
 * Holes left by writers that died between claim and publish are normal in a
 * journal with many writers, so every mode skips them.
 */
export type RecoveryMode = 'point-in-time' | 'tolerate-tail' | 'salvage'

export const RECOVERY_MODES: readonly RecoveryMode[] = ['point-in-time', 'tolerate-tail', 'salvage']

export const ignoreCorruption: CorruptionHandler = () => {}
