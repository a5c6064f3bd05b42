import type { IncomingHttpHeaders } from 'node:http'

/**
 * Variants (RFC 9111 §4.1): a response that varies on request headers is
 * stored once per combination of their values. The URL's entry names the
 * Vary fields; each variant lives under the URL key plus those values.
 * Values are normalised only as their field's syntax allows (§4.1: whitespace,
 * combined lines, case where the field is case-insensitive): X-Tenant: Acme and
 * X-Tenant: acme are different variants. Accept-Encoding is normalised to the
 * coding the response would use, so "gzip, deflate, br" and "br, gzip" share one;
 * Accept-Language and Accept-Charset to one spelling of the same weighted list
 * (`weightedList`), so "en;q=0.8, fr" and "FR, EN; Q=0.80" share one.
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

/**
 * Weighted lists of case-insensitive items (RFC 9110 §12.5.2 charsets,
 * §12.5.4 language ranges, RFC 4647 §2; the weight's "q", §12.4.2).
 */
const WEIGHTED = new Set(['accept-language', 'accept-charset'])

/**
 * Weighted lists as normalised, by the value as sent: clients send a few
 * values over and over, and a hit on a response that varies on one
 * normalises it twice (the lookup's key, then the match). Bounded for a flood of
 * distinct values: short values only, and cleared when full.
 */
const weightedMemo = new Map<string, string>()
const MEMO_ENTRIES = 512
const MEMO_VALUE_CHARS = 256

/** A request field's value as variants compare it. */
export function normalisedValue(field: string, value: string | string[] | undefined): string {
  if (field === 'accept-encoding') return preferredEncoding(value)
  if (value === undefined) return ''
  const weighted = WEIGHTED.has(field)
  const memoised = weighted && typeof value === 'string' && value.length <= MEMO_VALUE_CHARS
  if (memoised) {
    const known = weightedMemo.get(value)
    if (known !== undefined) return known
  }
  const joined = (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s*,\s*/g, ',')
  if (!weighted) return joined
  const normalised = weightedList(joined.toLowerCase())
  if (memoised) {
    if (weightedMemo.size >= MEMO_ENTRIES) weightedMemo.clear()
    weightedMemo.set(value, normalised)
  }
  return normalised
}

/** qvalue (RFC 9110 §12.4.2), lower-cased: "q=" then 0 to 1 with at most three decimals. */
const WEIGHT = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/**
 * A lower-cased weighted list spelt one way, so lists that say the same
 * thing share a variant: items by weight, highest first; items of equal
 * weight in the client's order, which servers read as its preference
 * (RFC 9110 §12.5.4; Express's negotiator does); each weight written as
 * its number ("q=0.80" as "q=0.8", q=1 left out); no whitespace or empty
 * items. A list with any other parameter or a weight that is not a qvalue
 * is left as it is: servers read such lists in different ways, and folding
 * it into a well-formed list would let one request choose what another is
 * served.
 */
function weightedList(list: string): string {
  if (!list.includes(';')) return list.includes(',,') || list.startsWith(',') || list.endsWith(',') ? list.split(',').filter((i) => i !== '').join(',') : list
  const items: Array<{ name: string; q: number }> = []
  for (const item of list.split(',')) {
    if (item === '') continue
    const [name, ...params] = item.split(';').map((part) => part.trim())
    if (params.length > 1) return list
    const weight = params.length === 0 ? undefined : WEIGHT.exec(params[0])
    if (weight === null) return list
    items.push({ name, q: weight === undefined ? 1 : Number(weight[1]) })
  }
  // Array.prototype.sort is stable: equal weights keep the client's order.
  items.sort((a, b) => b.q - a.q)
  return items.map(({ name, q }) => (q === 1 ? name : `${name};q=${q}`)).join(',')
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
