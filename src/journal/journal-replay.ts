import { isSystemError } from '../errors.js'
import type { BloomFilter } from '../bloom-filter.js'
import type { CorruptionHandler, CorruptionReport, RecoveryMode } from './corruption.js'
import type { Journal } from './journal.js'
import type { ByteView } from './record.js'
import type { ClaimWriterAlive, ScanResult } from './scanner.js'
import type { SidecarBuilder } from './sidecar-builder.js'
import { loadSidecars, readHint, visitScanned, writeSidecars, type ReplayEntry } from './sidecars.js'

/** A journal open in a JournalDir, with the bloom filter its sidecars give once loaded or built. */
export interface ReplaySlot {
  journal: Journal
  bloom: BloomFilter | undefined
}

/**
 * A test seam, not API: when set, called after each scan replay makes of a
 * journal, so a test can have another process append at that exact moment.
 */
export const replayScanHook: { afterScan?: (journalId: number) => void } = {}

/** What replay needs of the JournalDir it serves. */
export interface ReplayContext {
  dir: string
  recovery: RecoveryMode
  onCorruption: CorruptionHandler
  claimAlive: ClaimWriterAlive
  sidecars: SidecarBuilder
  /** True for the journal this JournalDir appends to. */
  isActive(journal: Journal): boolean
  /** Seals the journal here and has its sidecars built off this thread. */
  retire(journal: Journal): void
  /**
   * Told of each scan replay used: where it stopped, and the claims it
   * passed over still unpublished. `tailBefore` is the tail word read before
   * the scan: one that stopped short of it stopped at damage, while the tail
   * read after it may have grown with other writers' appends.
   */
  scanned(journal: Journal, result: ScanResult, damaged: boolean, tailBefore: number): void
}

/**
 * How a JournalDir's records are read back in bulk: the scan of the active
 * journal made at open (kept for the replay that normally follows), the
 * sidecars of sealed journals when they check out, else a scan that rebuilds
 * them (FORMAT.md §Hint file).
 */
export class JournalReplay {
  #ctx: ReplayContext
  /** The scan of the active journal made at open, until replay uses it; `reported` so a rescan does not report twice. */
  #openScan: { journal: Journal; tail: number; tailBefore: number; damaged: boolean; view: ByteView; result: ScanResult; reported: Set<string> } | undefined

  constructor(ctx: ReplayContext) {
    this.#ctx = ctx
  }

  /**
   * Scans the journal that was active when the directory was last used, or
   * that other writers are appending to now. A claim still being written is
   * not damage (claimAlive). If recovery found anything but holes, the
   * journal is sealed for every writer, and true returned: a record written
   * after a torn tail or a damaged record would sit where the next recovery
   * stops (point-in-time) or refuses the journal (tolerate-tail), and no
   * writer may be left appending to a journal the others have left.
   */
  recoverActive(journal: Journal): boolean {
    const ctx = this.#ctx
    let damaged = false
    const reported = new Set<string>()
    const tailBefore = journal.tail
    const scan = journal.scan(ctx.recovery, (report) => {
      if (report.reason !== 'hole') damaged = true
      reported.add(reportKey(report))
      ctx.onCorruption(report)
    }, { claimAlive: ctx.claimAlive })
    replayScanHook.afterScan?.(journal.id)
    if (damaged) journal.sealForEveryone()
    this.#openScan = { journal, tail: journal.tail, tailBefore, damaged, reported, ...scan }
    return damaged
  }

  /** Visits the records of one journal, in file order; see JournalDir.replay. */
  replayJournal(slot: ReplaySlot, visit: (entry: ReplayEntry) => void): void {
    const ctx = this.#ctx
    const journal = slot.journal
    const opened = this.#openScan
    let onCorruption = ctx.onCorruption
    if (opened?.journal === journal) {
      this.#openScan = undefined
      if (opened.tail === journal.tail) {
        visitScanned(journal.id, opened.view, opened.result.offsets, visit)
        ctx.scanned(journal, opened.result, opened.damaged, opened.tailBefore)
        if (opened.damaged) ctx.retire(journal)
        return
      }
      // Other writers appended since the open: scan again, without reporting twice what the open reported.
      onCorruption = (report) => {
        if (!opened.reported.has(reportKey(report))) ctx.onCorruption(report)
      }
    }
    const sealed = journal.sealed && !ctx.isActive(journal)
    if (sealed) {
      const loaded = loadSidecars(ctx.dir, journal, ctx.onCorruption, visit)
      if (loaded !== undefined) {
        slot.bloom = loaded
        return
      }
    }
    const tailBefore = journal.tail
    const { view, result } = journal.scan(ctx.recovery, onCorruption, { claimAlive: ctx.claimAlive })
    replayScanHook.afterScan?.(journal.id)
    visitScanned(journal.id, view, result.offsets, visit)
    ctx.scanned(journal, result, opened?.journal === journal && opened.damaged, tailBefore)
    if (sealed && hintable(result)) slot.bloom = this.#writeSidecarsQuietly(journal, view, result.offsets).bloom
    if (opened?.journal === journal && opened.damaged) ctx.retire(journal)
  }

  /**
   * The hint of a sealed journal; see JournalDir.hint. `stillOpen` says
   * whether the journal is still in the directory after the hint file was
   * read on the thread pool.
   */
  async hint(slot: ReplaySlot, stillOpen: () => boolean): Promise<Uint8Array | undefined> {
    const ctx = this.#ctx
    const id = slot.journal.id
    await ctx.sidecars.pending(id)
    // A hint runs to megabytes: read it on the thread pool.
    const stored = await readHint(ctx.dir, id, ctx.onCorruption, true)
    if (stored !== undefined || !stillOpen()) return stored
    const { view, result } = slot.journal.scan(ctx.recovery, ctx.onCorruption, { claimAlive: ctx.claimAlive })
    // A hint never leaves out a record: none while a claim below the end may still be published.
    if (result.unpublished > 0) return undefined
    const offsets = result.rejected ? new Uint32Array(0) : result.offsets
    const built = hintable(result) ? this.#writeSidecarsQuietly(slot.journal, view, offsets) : writeSidecars(undefined, id, view, offsets)
    slot.bloom = built.bloom
    return built.hint
  }

  #writeSidecarsQuietly(journal: Journal, view: ByteView, offsets: Uint32Array): ReturnType<typeof writeSidecars> {
    try {
      return writeSidecars(this.#ctx.dir, journal.id, view, offsets)
    } catch (err) {
      // Sidecars only speed up a restart; a full disk must not fail the writer that sealed the journal.
      if (!isSystemError(err)) throw err
      return writeSidecars(undefined, journal.id, view, offsets)
    }
  }
}

/**
 * Whether a scan's records may go into a hint file (FORMAT.md §Hint file): a
 * hint is used under every recovery mode, so only a scan whose outcome no
 * mode changes (no damage but at the tail) and that found no claim still
 * being written.
 */
function hintable(result: ScanResult): boolean {
  return !result.rejected && !result.modeDependent && result.unpublished === 0
}

function reportKey(report: CorruptionReport): string {
  return `${report.reason}@${report.offset}`
}
