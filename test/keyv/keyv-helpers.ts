/** What the Keyv adapter's node:test files share: a Keyv over a KeyvSpillway, closed after the test file, and its error events. */
import { after } from 'node:test'
import Keyv, { type KeyvOptions } from 'keyv'
import { KeyvSpillway, type KeyvSpillwayOptions } from '../../src/adapters/keyv.js'

export const JOURNAL_BYTES = 256 * 1024

export interface OpenedKeyv {
  keyv: Keyv
  adapter: KeyvSpillway
  /** Every `error` the Keyv emitted, in order. */
  errors: unknown[]
}

/** A Keyv over a new KeyvSpillway on `dir`; the adapter is disconnected when the test file ends, if the test did not. */
export function openKeyv(dir: string, options: Partial<KeyvSpillwayOptions> = {}, keyvOptions: Omit<KeyvOptions, 'store'> = {}): OpenedKeyv {
  const adapter = new KeyvSpillway({ dir, journalBytes: JOURNAL_BYTES, ...options })
  after(() => adapter.disconnect())
  const keyv = new Keyv({ store: adapter, ...keyvOptions })
  const errors: unknown[] = []
  keyv.on('error', (err: unknown) => errors.push(err))
  return { keyv, adapter, errors }
}

/** The code of a SpillwayError (or any error with one). */
export function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code
}
