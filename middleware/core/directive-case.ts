/**
 * RFC 9111 §5.2: cache directives are tokens "compared case-insensitively".
 * http-cache-semantics (4.3) compares them as sent, so `Cache-Control:
 * Private` was stored by this shared cache and served to everyone, and a
 * client's `No-Cache` got the cached copy. The storing and freshness
 * decisions are therefore made on Cache-Control and Pragma in lower case.
 * Every directive the cache reads takes a number or a list of field names
 * (themselves case-insensitive) as its argument, so the whole value can be
 * lower-cased. Only the decisions see it: clients get the origin's header
 * text (origin-directives.ts).
 */
const DIRECTIVE_FIELDS = ['cache-control', 'pragma'] as const

type Headers = Record<string, string | string[] | undefined>

/** `headers` itself when its Cache-Control and Pragma are absent or lower case already (the common case); else a copy with them lower-cased. */
export function withLowerCaseDirectives<H extends Headers>(headers: H): H {
  if (DIRECTIVE_FIELDS.every((name) => isLowerCase(headers[name]))) return headers
  const copy: Headers = { ...headers }
  for (const name of DIRECTIVE_FIELDS) {
    const value = copy[name]
    if (value !== undefined) copy[name] = Array.isArray(value) ? value.map((v) => v.toLowerCase()) : value.toLowerCase()
  }
  return copy as H
}

/** Whether a field's value is absent or has no upper-case letter. */
export function isLowerCase(value: string | string[] | undefined): boolean {
  if (value === undefined) return true
  return Array.isArray(value) ? value.every((v) => v === v.toLowerCase()) : value === value.toLowerCase()
}
