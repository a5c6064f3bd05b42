/**
 * Entity tags and validators (RFC 9110 §8.8, §13.1; RFC 9111 §4.3.4). An
 * entity-tag is a quoted string that may itself hold commas, so a list of them
 * is read tag by tag, never split on commas.
 */

type HeaderValue = string | string[] | number | undefined

/** The entity-tags of an If-None-Match or If-Match list, '*', or [] when it holds none. */
export function entityTags(list: string): string[] | '*' {
  if (list.trim() === '*') return '*'
  const tags: string[] = []
  const tag = /\s*(W\/)?"([^"]*)"\s*(?:,|$)/gy
  let m: RegExpExecArray | null
  while ((m = tag.exec(list)) !== null && m[0] !== '') tags.push(`${m[1] ?? ''}"${m[2]}"`)
  return tags
}

/** Weak comparison (§8.8.3.2): the opaque tags are equal, W/ prefixes aside. */
export function weakEqual(a: string, b: string): boolean {
  return stripWeak(a.trim()) === stripWeak(b.trim())
}

/** Strong comparison (§8.8.3.2): neither tag is weak, and the opaque tags are equal. */
export function strongEqual(a: string, b: string): boolean {
  const x = a.trim()
  const y = b.trim()
  return !x.startsWith('W/') && !y.startsWith('W/') && x === y
}

/**
 * If-None-Match against a stored response (§13.1.2): '*' matches any current
 * representation, an ETag or not; otherwise one listed tag must weakly match its ETag.
 */
export function ifNoneMatchHolds(ifNoneMatch: string, etag: string | undefined): boolean {
  const tags = entityTags(ifNoneMatch)
  if (tags === '*') return true
  return etag !== undefined && tags.some((tag) => weakEqual(tag, etag))
}

/**
 * Whether a 304 selects the stored response for update (RFC 9111 §4.3.4): a
 * strong ETag selects only the same strong ETag (strong comparison), a weak
 * one by weak comparison; with no ETag, an equal Last-Modified; with no
 * validator at all, only a stored response that has none either. §4.3.4 asks
 * the same whether the conditional was the cache's or a client's; the caller
 * decides what a 304 to a client's own validator answers.
 */
export function notModifiedSelects(stored: Record<string, HeaderValue>, notModified: Record<string, HeaderValue>): boolean {
  const storedEtag = text(stored.etag)
  const storedLastModified = text(stored['last-modified'])
  const etag = text(notModified.etag)
  if (etag !== undefined) {
    if (storedEtag === undefined) return false
    return etag.trim().startsWith('W/') ? weakEqual(etag, storedEtag) : strongEqual(etag, storedEtag)
  }
  const lastModified = text(notModified['last-modified'])
  if (lastModified !== undefined) return storedLastModified !== undefined && lastModified.trim() === storedLastModified.trim()
  return storedEtag === undefined && storedLastModified === undefined
}

function text(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag
}
