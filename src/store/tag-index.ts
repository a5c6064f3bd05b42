/**
 * Which keys carry which tag, for the entries that have tags at all. It is
 * rebuilt at open from the tag copies in hint files and record values, so a
 * purge after a restart still finds every tagged entry.
 */
export class TagIndex {
  #keysByTag = new Map<string, Set<string>>()
  #tagsByKey = new Map<string, readonly string[]>()

  /** Records the tags of the entry now stored under `key`, replacing any it had. */
  set(key: string, tags: readonly string[] | undefined): void {
    this.delete(key)
    if (tags === undefined || tags.length === 0) return
    this.#tagsByKey.set(key, tags)
    for (const tag of tags) {
      let keys = this.#keysByTag.get(tag)
      if (keys === undefined) this.#keysByTag.set(tag, keys = new Set())
      keys.add(key)
    }
  }

  delete(key: string): void {
    const tags = this.#tagsByKey.get(key)
    if (tags === undefined) return
    this.#tagsByKey.delete(key)
    for (const tag of tags) {
      const keys = this.#keysByTag.get(tag)
      keys?.delete(key)
      if (keys?.size === 0) this.#keysByTag.delete(tag)
    }
  }

  /** The keys carrying `tag`, copied so the caller may delete while iterating. */
  keysWith(tag: string): string[] {
    return [...(this.#keysByTag.get(tag) ?? [])]
  }

  get taggedKeys(): number {
    return this.#tagsByKey.size
  }
}
