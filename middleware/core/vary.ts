import type { IncomingHttpHeaders } from 'node:http'

/**
 * Variants (RFC 9111 §4.1): a response that varies on request headers is
 * stored once per combination of their values. The URL's entry names the
 * Vary fields; each variant lives under the URL key plus those values.
 * Values are normalised only as their field's syntax allows (§4.1: whitespace,
 * combined lines, case where the field is case-insensitive): X-Tenant: Acme and
 * X-Tenant: acme are different variants. Accept-Encoding is normalised to the
 * coding the response would use, so "gzip, deflate, br" and "br, gzip" share one.
 */
export function varyFields(vary: string | string[] | undefined): string[] | '*' {
  if (vary === undefined) return []
  const text = Array.isArray(vary) ? vary.join(',') : vary
  const fields = text.split(',').map((f) => f.trim().toLowerCase()).filter((f) => f.length > 0)
  if (fields.includes('*')) return '*'
  return [...new Set(fields)].sort()
}

/**
 * The key of a variant under its URL's marker: the URL's key, the values of
 * the Vary fields, and `suffix`, the request inputs keyed as if the response
 * varied on them (see RequestKey in entry-match.ts). Never the URL's own key.
 */
export function variantKey(base: string, fields: string[], headers: IncomingHttpHeaders, suffix = ''): string {
  // An absent field is not an empty one (RFC 9111 §4.1): only the absent one is written without '='.
  const parts = fields.map((field) => (headers[field] === undefined && field !== 'accept-encoding' ? field : `${field}=${normalisedValue(field, headers[field])}`))
  return `${base}\u0000${parts.join('\u0000')}\u0000${suffix}`
}

/** Fields whose values are case-insensitive by their definition (RFC 9110 §12.5; language tags, RFC 4647 §2). */
const CASE_INSENSITIVE = new Set(['accept-language', 'accept-charset'])

/** A request field's value as variants compare it; the policy is given the same values. */
export function normalisedValue(field: string, value: string | string[] | undefined): string {
  if (field === 'accept-encoding') return preferredEncoding(value)
  if (value === undefined) return ''
  const joined = (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s*,\s*/g, ',')
  return CASE_INSENSITIVE.has(field) ? joined.toLowerCase() : joined
}

const CODINGS = ['br', 'gzip', 'deflate'] as const

/** The coding the request weighs highest (q), br before gzip before deflate on a tie, or 'identity'. */
export function preferredEncoding(acceptEncoding: string | string[] | undefined): string {
  const weights = codingWeights(acceptEncoding)
  let best = 'identity'
  let bestQ = 0
  for (const coding of CODINGS) {
    const q = weightOf(weights, coding)
    if (q > bestQ) {
      best = coding
      bestQ = q
    }
  }
  return best
}

/** Whether a client that sent this Accept-Encoding can take a body in `coding` (RFC 9110 §12.5.3). */
export function acceptsCoding(acceptEncoding: string | string[] | undefined, coding: string | string[] | undefined): boolean {
  const name = (Array.isArray(coding) ? coding.join(',') : coding ?? '').trim().toLowerCase()
  if (name === '' || name === 'identity') return true
  return weightOf(codingWeights(acceptEncoding), name) > 0
}

/** An explicit entry for the coding outranks `*`; a coding neither names is refused. */
function weightOf(weights: Map<string, number>, coding: string): number {
  return weights.get(coding) ?? weights.get('*') ?? 0
}

function codingWeights(header: string | string[] | undefined): Map<string, number> {
  const weights = new Map<string, number>()
  const text = Array.isArray(header) ? header.join(',') : header ?? ''
  for (const part of text.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    const coding = name.trim() === 'x-gzip' ? 'gzip' : name.trim()
    if (coding === '') continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    const weight = q === undefined ? 1 : Number(q.slice(2))
    weights.set(coding, Number.isFinite(weight) ? weight : 0)
  }
  return weights
}
