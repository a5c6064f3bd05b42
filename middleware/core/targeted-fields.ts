/**
 * Targeted cache control (RFC 9213): fields like `CDN-Cache-Control` that
 * speak to one class of cache. A cache with a target list uses the first
 * listed field that has a valid, non-empty value and then ignores
 * Cache-Control and Expires (§2.2). Their syntax is a Structured Fields
 * Dictionary (RFC 8941 §3.2); a value that does not parse as one is invalid
 * and the next field (or Cache-Control) is used instead.
 */
import type { Directives } from './cache-control.js'

// RFC 8941: key, and the bare items a cache directive can carry (integer, token, string, boolean), each with parameters.
const KEY = '[a-z*][a-z0-9_.*-]*'
const BARE_ITEM = '(?:-?\\d{1,15}(?:\\.\\d{1,3})?|[A-Za-z*][!#$%&\'*+.^_`|~:/0-9A-Za-z-]*|"(?:[^"\\\\\\x00-\\x1f\\x7f]|\\\\["\\\\])*"|\\?[01])'
const PARAMETERS = `(?:;\\s*${KEY}(?:=${BARE_ITEM})?)*`
const MEMBER = new RegExp(`^(${KEY})(?:=(${BARE_ITEM})${PARAMETERS}|${PARAMETERS})$`)

/** The directives of the first of `targets` with a valid, non-empty value, or undefined when none has one. */
export function targetedDirectives(headers: Record<string, string | string[] | undefined>, targets: readonly string[]): Directives | undefined {
  for (const name of targets) {
    const field = headers[name]
    if (field === undefined) continue
    const directives = dictionary(Array.isArray(field) ? field.join(',') : field)
    if (directives !== undefined && directives.size > 0) return directives
  }
  return undefined
}

/** An sf-dictionary's members as directives (a string member unquoted, `?1` as a bare directive, `?0` left out); undefined when it does not parse. */
function dictionary(text: string): Directives | undefined {
  const out = new Map<string, string | true>()
  for (const member of splitMembers(text)) {
    const m = MEMBER.exec(member)
    if (m === null) return undefined
    const [, key, item] = m
    // RFC 8941 §4.2.2: the last value of a repeated key wins.
    if (item === undefined || item === '?1') out.set(key, true)
    else if (item === '?0') out.delete(key)
    else out.set(key, item.startsWith('"') ? item.slice(1, -1).replace(/\\(["\\])/g, '$1') : item)
  }
  return out
}

/** Members split at commas outside quoted strings, trimmed; an empty member (`a,,b`) makes the dictionary invalid. */
function splitMembers(text: string): string[] {
  const members: string[] = []
  let start = 0
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') quoted = !quoted
    else if (c === '\\' && quoted) i++
    else if (c === ',' && !quoted) {
      members.push(text.slice(start, i).trim())
      start = i + 1
    }
  }
  members.push(text.slice(start).trim())
  if (members.length === 1 && members[0] === '') return []
  return members.some((m) => m === '') ? ['\u0000'] : members
}
