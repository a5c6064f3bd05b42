import { SpillwayError } from '../errors.js'

/**
 * How a Cache names its keys and tags in the store, so that namespaces can
 * never collide with each other, with the cache's other keys, or tags with
 * tags:
 *
 *   path    = *( decimal-length "." name )        the namespaces, outermost first; "" at the root
 *   key     = path "/" caller-key                  "/user:1", "1.a/b:x", "3.a:b/x", "1.a1.b/x"
 *   tag     = "t" path "/" caller-tag              a caller's tag, scoped to its namespace
 *   ns-tag  = "n" path                             carried by every entry of that namespace and its nested ones
 *
 * A path reads back one way only: each name is taken by its length (in
 * UTF-16 code units), and "/" ends the path where a length would begin. So
 * key "b:x" of namespace "a" ("1.a/b:x") is not key "x" of namespace "a:b"
 * ("3.a:b/x"), and a caller's tag (first letter "t") is never a namespace's
 * (first letter "n").
 */
export const MAX_NAMESPACE_NAME = 256
/** Namespaces one inside another, at most; the path is part of every key, and keys are bounded. */
export const MAX_NAMESPACE_DEPTH = 16

export function pathSegment(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAMESPACE_NAME || !name.isWellFormed()) {
    throw new SpillwayError('ERR_KEY_INVALID',
      `namespace name must be a non-empty, well-formed string of at most ${MAX_NAMESPACE_NAME} characters; got ${typeof name === 'string' ? JSON.stringify(name.slice(0, 40)) : name === null ? 'null' : typeof name}`)
  }
  return `${name.length}.${name}`
}

export function storedKey(path: string, key: string): string {
  return `${path}/${key}`
}

export function storedTag(path: string, tag: string): string {
  return `t${path}/${tag}`
}

export function namespaceTag(path: string): string {
  return `n${path}`
}

/** The tags an entry of `path` carries for its namespaces: one per enclosing namespace, so clearing an outer one clears the nested. */
export function namespaceTags(path: string): string[] {
  const tags: string[] = []
  let at = 0
  while (at < path.length) {
    const dot = path.indexOf('.', at)
    at = dot + 1 + Number(path.slice(at, dot))
    tags.push(namespaceTag(path.slice(0, at)))
  }
  return tags
}

/** Whether a store key follows this scheme (root clear() deletes those). */
export function isCacheKey(key: string): boolean {
  let at = 0
  for (;;) {
    if (key[at] === '/') return true
    const dot = key.indexOf('.', at)
    if (dot <= at) return false
    const digits = key.slice(at, dot)
    if (!/^[1-9][0-9]*$/.test(digits)) return false
    at = dot + 1 + Number(digits)
    if (at >= key.length) return false
  }
}
