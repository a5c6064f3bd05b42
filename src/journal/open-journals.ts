import type { Journal } from './journal.js'
import type { MappedJournal } from './mapping-policy.js'
import type { ReplaySlot } from './journal-replay.js'

export interface Slot extends MappedJournal, ReplaySlot {}

/**
 * The journals one JournalDir has open, shared by the parts that change them:
 * appends (journal-dir.ts), rotation (journal-rotation.ts) and following
 * (journal-following.ts). One object, so each sees the others' changes at once.
 */
export class OpenJournals {
  readonly slots = new Map<number, Slot>()
  /** The journal appends go to, if there is one yet. */
  active: Journal | undefined
  /** The newest id known here, even if its journal was passed over or removed: the next journal is the one after it. */
  newestId = 0

  add(id: number, journal: Journal): void {
    this.slots.set(id, { journal, lastRead: 0, readsSinceSweep: 0, bloom: undefined })
  }
}
