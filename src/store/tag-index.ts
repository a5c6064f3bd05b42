import { FLAG_TAGGED } from '../journal/format.js'
import { hashKey } from '../key-hash.js'
import { TagPostings } from './tag-postings.js'

/** Tags hash with a seed of their own, so a tag and a key with the same bytes do not share a hash by construction. */
const TAG_SEED = 0x5461_6773

/** The 32-bit hash of a tag's UTF-8 bytes. */
export function tagHash(bytes: Uint8Array, offset = 0, length = bytes.byteLength): number {
  return hashKey(bytes, offset, length, TAG_SEED)
}

/** The tag block (FORMAT.md §Tag block) at the front of a stored value, or undefined when the record has none. */
export function tagBlockOf(flags: number, value: Uint8Array): Uint8Array | undefined {
  if ((flags & FLAG_TAGGED) === 0) return undefined
  return value.subarray(2, 2 + (value[0] | (value[1] << 8)))
}

/** Calls `visit(hash)` for each tag of a block: tags are joined with NUL, and no tag is empty. */
export function forEachTagHash(block: Uint8Array, visit: (hash: number) => void): void {
  let start = 0
  for (let i = 0; i <= block.byteLength; i++) {
    if (i < block.byteLength && block[i] !== 0) continue
    if (i > start) visit(tagHash(block, start, i - start))
    start = i + 1
  }
}

/** Whether the tag block holds exactly the tag `tag` (UTF-8 bytes). */
export function blockHasTag(block: Uint8Array, tag: Uint8Array): boolean {
  const n = tag.byteLength
  let start = 0
  for (let i = 0; i <= block.byteLength; i++) {
    if (i < block.byteLength && block[i] !== 0) continue
    if (i - start === n) {
      let same = true
      for (let j = 0; j < n && same; j++) same = block[start + j] === tag[j]
      if (same) return true
    }
    start = i + 1
  }
  return false
}

/** Whether the block holds a tag whose hash is `hash`. */
export function blockHasTagHash(block: Uint8Array, hash: number): boolean {
  let found = false
  forEachTagHash(block, (h) => {
    if (h === hash) found = true
  })
  return found
}

export function sameBlock(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.byteLength !== b.byteLength) return false
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false
  return true
}

/**
 * Which entries carry which tag. Entries on disk cost no JS object: their
 * postings are (tag hash, key hash) pairs in typed arrays (TagPostings), and a
 * purge confirms each candidate against the tag block of its record. Rebuilt
 * at open from the tag blocks in hint files and records, so a purge after a
 * restart still finds every tagged entry.
 *
 * Entries held only in the heap tier (the doorkeeper has not let them reach
 * disk) have no record to confirm against; their tags are kept here as
 * strings, which the heap tier bounds: `pruneHeapOnly` forgets keys the tier
 * no longer holds.
 */
export class TagIndex {
  readonly postings: TagPostings
  #heapOnlyByTag = new Map<string, Set<string>>()
  #heapOnlyTags = new Map<string, readonly string[]>()

  /** `isLive(keyHash)`: whether any entry on disk has this key hash (see TagPostings). */
  constructor(isLive: (keyHash: number) => boolean) {
    this.postings = new TagPostings(isLive)
  }

  /** Adds the postings of an entry on disk whose key hashes to `keyHash`. */
  addBlock(keyHash: number, block: Uint8Array | undefined): void {
    if (block === undefined) return
    forEachTagHash(block, (hash) => this.postings.add(hash, keyHash))
  }

  /**
   * Removes the postings of an entry that no longer carries `block`, except
   * those that `stillCarried(tagHash)` says another entry with the same key
   * hash keeps.
   */
  removeBlock(keyHash: number, block: Uint8Array | undefined, stillCarried: (tagHash: number) => boolean): void {
    if (block === undefined) return
    forEachTagHash(block, (hash) => {
      if (!stillCarried(hash)) this.postings.removeAll(hash, keyHash)
    })
  }

  /** Records the tags of an entry held only in the heap tier, replacing any it had. The array is copied. */
  setHeapOnly(key: string, tags: readonly string[] | undefined): void {
    this.deleteHeapOnly(key)
    if (tags === undefined || tags.length === 0) return
    const copy = [...new Set(tags)]
    this.#heapOnlyTags.set(key, copy)
    for (const tag of copy) {
      let keys = this.#heapOnlyByTag.get(tag)
      if (keys === undefined) this.#heapOnlyByTag.set(tag, keys = new Set())
      keys.add(key)
    }
  }

  deleteHeapOnly(key: string): void {
    if (this.#heapOnlyTags.size === 0) return
    const tags = this.#heapOnlyTags.get(key)
    if (tags === undefined) return
    this.#heapOnlyTags.delete(key)
    for (const tag of tags) {
      const keys = this.#heapOnlyByTag.get(tag)
      keys?.delete(key)
      if (keys?.size === 0) this.#heapOnlyByTag.delete(tag)
    }
  }

  /** The tags of a key held only in the heap tier (empty when it has none). */
  heapOnlyTagsOf(key: string): string[] {
    return [...(this.#heapOnlyTags.get(key) ?? [])]
  }

  /** The heap-only keys carrying `tag`, copied so the caller may delete while iterating. */
  heapOnlyWith(tag: string): string[] {
    return [...(this.#heapOnlyByTag.get(tag) ?? [])]
  }

  /**
   * Forgets heap-only keys the heap tier no longer holds as heap-only, once
   * they outnumber `heapEntries` twice over: amortised O(1) a call, and the
   * strings stay bounded by the tier.
   */
  pruneHeapOnly(heapEntries: number, holdsHeapOnly: (key: string) => boolean): void {
    if (this.#heapOnlyTags.size <= 2 * heapEntries + 64) return
    for (const key of [...this.#heapOnlyTags.keys()]) if (!holdsHeapOnly(key)) this.deleteHeapOnly(key)
  }

  get heapOnlyKeys(): number {
    return this.#heapOnlyTags.size
  }
}
