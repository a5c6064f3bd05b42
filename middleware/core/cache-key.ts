import type { IncomingMessage } from 'node:http'

export interface KeyOptions {
  /** Only these query parameters count towards the key (all when undefined). */
  queryAllow?: string[]
  /** These query parameters never count (utm_source, say). */
  queryDeny?: string[]
  /** Sort query parameters, so ?a=1&b=2 and ?b=2&a=1 share an entry. @default true */
  sortQuery?: boolean
}

/** What Express and Connect add to a request that the key needs. */
export type CacheRequest = IncomingMessage & { originalUrl?: string }

/**
 * The default cache key: host and URL (path and query, normalised as
 * configured). The method is left out on purpose: HEAD is answered from the
 * GET entry, and only GET responses are stored.
 */
export function defaultKey(req: CacheRequest, options: KeyOptions): string {
  const url = req.originalUrl ?? req.url ?? '/'
  const host = (req.headers.host ?? '').toLowerCase()
  const q = url.indexOf('?')
  if (q < 0) return `${host}${url}`
  const path = url.slice(0, q)
  const params = new URLSearchParams(url.slice(q + 1))
  let entries = [...params]
  if (options.queryAllow !== undefined) entries = entries.filter(([name]) => options.queryAllow!.includes(name))
  if (options.queryDeny !== undefined) entries = entries.filter(([name]) => !options.queryDeny!.includes(name))
  if (options.sortQuery !== false) entries.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
  const query = new URLSearchParams(entries).toString()
  return query === '' ? `${host}${path}` : `${host}${path}?${query}`
}
