import type { IncomingHttpHeaders } from 'node:http'

/**
 * Variants (RFC 9111 §4.1): a response that varies on request headers is
 * stored once per combination of their values. The URL's entry names the
 * Vary fields; each variant lives under the URL key plus those values.
 * Accept-Encoding is normalised to the coding the response would use, so
 * "gzip, deflate, br" and "br, gzip" share a variant.
 */
export function varyFields(vary: string | undefined): string[] | '*' {
  if (vary === undefined) return []
  const fields = vary.split(',').map((f) => f.trim().toLowerCase()).filter((f) => f.length > 0)
  if (fields.includes('*')) return '*'
  return [...new Set(fields)].sort()
}

export function variantKey(base: string, fields: string[], headers: IncomingHttpHeaders): string {
  if (fields.length === 0) return base
  const parts = fields.map((field) => `${field}=${field === 'accept-encoding' ? preferredEncoding(headers[field]) : headerValue(headers[field])}`)
  return `${base}\u0000${parts.join('\u0000')}`
}

function headerValue(value: string | string[] | undefined): string {
  if (value === undefined) return ''
  return (Array.isArray(value) ? value.join(',') : value).trim().replace(/\s*,\s*/g, ',').toLowerCase()
}

const CODINGS = ['br', 'gzip', 'deflate'] as const

/** The best coding the request accepts (br, then gzip, then deflate), or 'identity'. */
export function preferredEncoding(acceptEncoding: string | string[] | undefined): string {
  const accepted = acceptedCodings(acceptEncoding)
  return CODINGS.find((c) => accepted.has(c)) ?? 'identity'
}

/** Whether a client that sent this Accept-Encoding can take a body in `coding`. */
export function acceptsCoding(acceptEncoding: string | string[] | undefined, coding: string | undefined): boolean {
  if (coding === undefined || coding === '' || coding === 'identity') return true
  return acceptedCodings(acceptEncoding).has(coding.toLowerCase())
}

function acceptedCodings(header: string | string[] | undefined): Set<string> {
  const accepted = new Set<string>()
  const text = Array.isArray(header) ? header.join(',') : header ?? ''
  for (const part of text.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';')
    if (name === '') continue
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    if (q !== undefined && Number(q.slice(2)) === 0) continue
    if (name === '*') CODINGS.forEach((c) => accepted.add(c))
    else accepted.add(name)
  }
  return accepted
}
