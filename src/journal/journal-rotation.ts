import type { MappingApi } from '../native.js'
import type { CorruptionHandler, RecoveryMode } from './corruption.js'
import type { Journal } from './journal.js'
import { openJournalOrPassOver } from './journal-opening.js'
import type { MappingPolicy } from './mapping-policy.js'
import { NextJournal } from './next-journal.js'
import type { OpenJournals } from './open-journals.js'
import type { SidecarBuilder } from './sidecar-builder.js'
import { loadBloom } from './sidecars.js'

export interface RotationContext {
  api: MappingApi
  dir: string
  journalBytes: number
  now: () => number
  recovery: RecoveryMode
  onCorruption: CorruptionHandler
  open: OpenJournals
  mapping: MappingPolicy
  sidecars: SidecarBuilder
  isClosed: () => boolean
}

/**
 * Moving appends from a full journal to the next (FORMAT.md §Appending):
 * sealing, the next journal built ahead of time once the active one is half
 * full, and the sidecars of a journal sealed here.
 */
export class JournalRotation {
  readonly #ctx: RotationContext
  readonly next: NextJournal
  /** An append that starts at or past this offset of the active journal starts preparing the next one. */
  #prepareFrom = Infinity

  constructor(ctx: RotationContext) {
    this.#ctx = ctx
    this.next = new NextJournal(ctx.api, ctx.dir, ctx.journalBytes, ctx.now)
  }

  /** Told of each append or claim at `offset` of the active journal. */
  appended(offset: number): void {
    if (offset >= this.#prepareFrom) this.#prepareNext()
  }

  /** Opens the journal after the newest one known here, creating it unless another writer already has. */
  nextJournal(): Journal {
    const { api, dir, onCorruption, open } = this.#ctx
    for (;;) {
      const id = open.newestId + 1
      this.next.create(id)
      // A journal is linked into place whole, so a bad header under its name is a foreign or
      // damaged file: passed over, as an open does, rather than blocking every append.
      const journal = openJournalOrPassOver(api, dir, id, true, onCorruption, false)
      if (journal === undefined) {
        open.newestId = id
        continue
      }
      open.newestId = id
      open.add(id, journal)
      if (journal.sealed) {
        // Others filled it between its link and this open: move on with them.
        journal.remapReadOnly()
        continue
      }
      this.activate(journal)
      return journal
    }
  }

  activate(journal: Journal | undefined): void {
    this.#ctx.open.active = journal
    this.#prepareFrom = journal === undefined ? Infinity : journal.capacity / 2
  }

  /** The active journal is half full: have the next one built off this thread. */
  #prepareNext(): void {
    this.#prepareFrom = Infinity
    const open = this.#ctx.open
    const id = open.newestId + 1
    this.next.prepare(id, () => id > open.newestId)
  }

  /**
   * The active journal is full: seal it here, and have its sidecars built off
   * this thread when `buildSidecars` (by the writer that sealed it: other
   * processes and threads use them, or scan the journal when its writer
   * died first).
   */
  retire(journal: Journal, buildSidecars: boolean): void {
    const { api, dir, recovery, onCorruption, open, mapping, sidecars, isClosed } = this.#ctx
    if (open.active === journal) this.activate(undefined)
    journal.remapReadOnly()
    mapping.enforceBudget()
    if (!buildSidecars) return
    void sidecars.build({ dir, id: journal.id, recovery, backend: api.name, exclusive: api.name === 'pread' }).then((result) => {
      for (const report of result.reports) onCorruption(report)
      const slot = open.slots.get(journal.id)
      if (result.ok && slot !== undefined && !isClosed()) slot.bloom = loadBloom(dir, journal.id, onCorruption)
    })
  }
}
