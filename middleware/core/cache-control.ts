/**
 * Cache-Control (RFC 9111 §5.2) as a list of directives: names compared
 * case-insensitively, arguments in token or quoted-string form, a comma
 * inside a quoted string kept in its argument (so `x="a, max-age=9"` makes
 * up no max-age), and the first occurrence of a repeated directive used
 * (§4.2.1). Unknown directives are kept: a caller ignores what it does not
 * know (§5.2.3).
 */

/** Directive name (lower case) → its argument, unquoted, or true when it has none. */
export type Directives = ReadonlyMap<string, string | true>

export const NO_DIRECTIVES: Directives = new Map()

/** The directives of one or more Cache-Control (or Pragma, CDN-Cache-Control) field lines. */
export function parseDirectives(field: string | string[] | undefined): Directives {
  if (field === undefined) return NO_DIRECTIVES
  const text = Array.isArray(field) ? field.join(',') : field
  if (text === '') return NO_DIRECTIVES
  const out = new Map<string, string | true>()
  let i = 0
  while (i < text.length) {
    let end = i
    while (end < text.length && text[end] !== ',' && text[end] !== '=') end++
    const name = text.slice(i, end).trim().toLowerCase()
    let value: string | true = true
    i = end
    if (text[i] === '=') {
      i++
      while (text[i] === ' ' || text[i] === '\t') i++
      if (text[i] === '"') {
        let quoted = ''
        i++
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++
          quoted += text[i++]
        }
        value = quoted
        i++
        // Anything after the closing quote up to the comma belongs to no directive.
        while (i < text.length && text[i] !== ',') i++
      } else {
        const start = i
        while (i < text.length && text[i] !== ',') i++
        value = text.slice(start, i).trim()
      }
    }
    i++
    if (name !== '' && !out.has(name)) out.set(name, value)
  }
  return out
}

/**
 * A delta-seconds argument (RFC 9111 §1.2.2): digits only, or undefined.
 * Larger values than 2^31 are read as 2^31, as the RFC allows.
 */
export function deltaSeconds(value: string | true | undefined): number | undefined {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return undefined
  return Math.min(Number(value), 2 ** 31)
}

/** The field names of a qualified `private="a, b"` or `no-cache="a"`, lower case; [] for the unqualified form. */
export function fieldNames(value: string | true | undefined): string[] {
  if (typeof value !== 'string') return []
  return value.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '')
}
