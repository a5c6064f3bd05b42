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
 * Whether a 304 may update the stored response (RFC 9111 §4.3.4): its ETag
 * matches the stored one's, or else its Last-Modified does, or else it has no
 * validator and the conditional was the cache's alone. A 304 that answered a
 * validator of the client's own must not update anything.
 */
export function notModifiedSelects(stored: Record<string, HeaderValue>, notModified: Record<string, HeaderValue>, clientConditional: boolean): boolean {
  const etag = text(notModified.etag)
  if (etag !== undefined) return text(stored.etag) !== undefined && weakEqual(etag, text(stored.etag)!)
  const lastModified = text(notModified['last-modified'])
  if (lastModified !== undefined) return lastModified === text(stored['last-modified'])
  return !clientConditional
}

function text(value: HeaderValue): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value.join(', ') : String(value)
}

function stripWeak(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag
}
