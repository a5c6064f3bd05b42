import { isSystemError } from '../errors.js'
import type { MappingApi } from '../native.js'
import type { CorruptionHandler } from './corruption.js'
import { HEADER_BYTES } from './format.js'
import type { Journal } from './journal.js'
import { journalIdsIn, openJournalOrPassOver } from './journal-opening.js'
import type { JournalRotation } from './journal-rotation.js'
import type { MappingPolicy } from './mapping-policy.js'
import type { OpenJournals } from './open-journals.js'
import type { ScanResult } from './scanner.js'

/** journalAfter lists the directory at most this often, looking past a journal that is gone. */
const LISTING_INTERVAL_MS = 10

/** A claimed range not yet published when it was read: [offset, end) of a journal, and its claimer's pid (0 when not yet marked). */
export interface PendingClaim {
  journalId: number
  offset: number
  end: number
  pid: number
}

export interface FollowingContext {
  api: MappingApi
  dir: string
  onCorruption: CorruptionHandler
  open: OpenJournals
  mapping: MappingPolicy
  rotation: JournalRotation
  isClosed: () => boolean
}

/**
 * What a JournalDir does for a follower (src/store/follow.ts) that applies
 * other processes' appends: where to start after replay, the journals others
 * created or sealed, and those others removed.
 */
export class JournalFollowing {
  readonly #ctx: FollowingContext
  /** What replay read, for a follower to start from: where each scan stopped, and the claims it passed over. */
  #replayedTo = new Map<number, number>()
  #replayedClaims: PendingClaim[] = []
  /** When journalAfter last listed the directory (performance.now()). */
  #listedAt = -Infinity

  constructor(ctx: FollowingContext) {
    this.#ctx = ctx
  }

  /** Told of each scan replay used (JournalReplay's `scanned`). */
  scanned(journal: Journal, result: ScanResult, damaged: boolean, tailBefore: number): void {
    for (let i = 0; i < result.claims.length; i += 3) {
      this.#replayedClaims.push({ journalId: journal.id, offset: result.claims[i], end: result.claims[i + 1], pid: result.claims[i + 2] })
    }
    // A scan that stopped at damage replays nothing after it, and neither may a follower. Not the
    // tail now: records appended since the scan are the follower's to apply, not damage to skip.
    this.#replayedTo.set(journal.id, damaged || result.stoppedAt < Math.min(tailBefore, journal.limit) ? journal.limit : result.stoppedAt)
  }

  /** See JournalDir.journalAfter. */
  journalAfter(id: number): Journal | undefined {
    const { api, dir, onCorruption, open } = this.#ctx
    if (this.#ctx.isClosed()) return undefined
    let listed: number[] | undefined
    for (let next = id + 1; ; next++) {
      const slot = open.slots.get(next)
      if (slot !== undefined) return this.#follow(slot.journal)
      if (next > open.newestId) {
        let journal: Journal | undefined
        let exists = true
        try {
          journal = openJournalOrPassOver(api, dir, next, true, onCorruption, false)
        } catch (err) {
          if (!isSystemError(err, 'ENOENT')) throw err
          exists = false
        }
        // A bad header is reported once and passed over for good, as JournalRotation.nextJournal does.
        if (exists) open.newestId = next
        if (journal !== undefined) {
          open.add(next, journal)
          return this.#follow(journal)
        }
      }
      // Removed, passed over or not made yet: go on only if a later journal exists. The listing is
      // rationed: a store that reads an empty directory would otherwise list it at every read.
      if (listed === undefined) {
        const now = performance.now()
        if (now - this.#listedAt < LISTING_INTERVAL_MS) return undefined
        this.#listedAt = now
        listed = journalIdsIn(dir)
      }
      if (!listed.some((later) => later > next) && next >= open.newestId) return undefined
    }
  }

  /** A journal a follower moves into: sealed ones are remapped read-only, an active one becomes this directory's. */
  #follow(journal: Journal): Journal {
    const { open, mapping, rotation } = this.#ctx
    rotation.next.discardThrough(journal.id)
    if (journal.sealed) {
      if (journal === open.active) rotation.activate(undefined)
      journal.remapReadOnly()
      mapping.enforceBudget()
    } else if (open.active === undefined || open.active.id < journal.id) {
      // The sealed one this process appended to: remapped, its sidecars left to the writer that sealed it.
      if (open.active !== undefined) open.active.remapReadOnly()
      rotation.activate(journal)
    }
    return journal
  }

  /** See JournalDir.forgetJournal. */
  forgetJournal(id: number): void {
    const open = this.#ctx.open
    const slot = open.slots.get(id)
    if (slot === undefined || slot.journal === open.active) return
    slot.journal.close()
    open.slots.delete(id)
  }

  /** See JournalDir.followStart. */
  followStart(): { journalId: number; offset: number; claims: PendingClaim[] } {
    const open = this.#ctx.open
    const ids = [...open.slots.keys()].sort((a, b) => a - b)
    const journalId = ids.length === 0 ? open.newestId : ids[ids.length - 1]
    const journal = open.slots.get(journalId)?.journal
    const offset = this.#replayedTo.get(journalId) ?? journal?.limit ?? HEADER_BYTES
    const claims = this.#replayedClaims
    this.#replayedClaims = []
    this.#replayedTo.clear()
    return { journalId, offset, claims }
  }
}
