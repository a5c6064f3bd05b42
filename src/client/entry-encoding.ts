import { SpillwayError } from '../errors.js'
import type { Store } from '../store/store.js'
import { seal } from './envelope.js'
import { namespaceTags, storedTag } from './key-scheme.js'
import type { ResolvedCallOptions } from './options.js'
import { describe, type ResolvedSerializer } from './serializers.js'

/** A value ready to store: checked and encoded before anything changes. */
export interface PreparedEntry {
  /** The stored key (key-scheme.ts). */
  key: string
  bytes: Buffer
  /** The store's ttl: the value's own, plus the larger of its stale windows. */
  ttl: number | undefined
  tags: string[] | undefined
}

/**
 * The envelope (envelope.ts) of `value`, its deadlines counted from `now`,
 * and the tags of its namespace; throws ERR_SERIALIZE when the serializer
 * refuses the value or gives something other than bytes.
 */
export function prepareEntry<T>(serializer: ResolvedSerializer<T>, path: string, k: string, key: string, value: T, call: ResolvedCallOptions, now: number): PreparedEntry {
  let payload: Uint8Array | string
  try {
    payload = serializer.encode(value)
    if (typeof payload !== 'string' && !(payload instanceof Uint8Array)) throw new TypeError(`encode gave ${describe(payload)}, not bytes or a string`)
  } catch (err) {
    throw new SpillwayError('ERR_SERIALIZE',
      `the value of key ${JSON.stringify(key)} cannot be encoded by the ${serializer.name} serializer: ${(err as Error)?.message ?? String(err)}`, { cause: err })
  }
  const { ttl, staleWhileRevalidate, staleIfError } = call
  const deadlines = ttl === undefined
    ? { freshUntil: 0, staleWhileRevalidateUntil: 0, staleIfErrorUntil: 0 }
    : { freshUntil: now + ttl, staleWhileRevalidateUntil: now + ttl + staleWhileRevalidate, staleIfErrorUntil: now + ttl + staleIfError }
  const tags = [...(call.tags ?? []).map((tag) => storedTag(path, tag)), ...namespaceTags(path)]
  return {
    key: k,
    bytes: seal(serializer.id, deadlines, payload),
    // The store keeps the value as long as any use of it remains: its stale windows too.
    ttl: ttl === undefined ? undefined : ttl + Math.max(staleWhileRevalidate, staleIfError),
    tags: tags.length === 0 ? undefined : tags,
  }
}

export function writeEntry(store: Store, entry: PreparedEntry): Promise<void> {
  if (entry.ttl === undefined) return store.set(entry.key, entry.bytes, entry.tags === undefined ? undefined : { tags: entry.tags })
  return store.set(entry.key, entry.bytes, { ttl: entry.ttl, tags: entry.tags })
}
