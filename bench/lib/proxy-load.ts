/**
 * The load of bench/proxy.ts, from autocannon's programmatic API: keep-alive
 * connections, one request in flight on each. A hit workload asks for one
 * URL over and over; a miss workload gives every request a URL of its own
 * (`?n=<run>-<count>`, the run a random word so that no two loads, nor the
 * priming, ever share one), so every request is a miss in every cache.
 */
import crypto from 'node:crypto'
import { createRequire } from 'node:module'
import type { LoadResult } from './http-child.js'

interface RequestParams { method?: string; path?: string; headers?: Record<string, string> }
interface AutocannonOptions {
  url: string
  connections: number
  duration: number
  pipelining?: number
  requests?: Array<{ setupRequest?: (req: RequestParams) => RequestParams }>
}
type Autocannon = (opts: AutocannonOptions) => PromiseLike<LoadResult>

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon

/** A URL no cache has seen: `url` with a query of its own. */
export function uniqueUrl(url: string): string {
  return `${url}?n=${crypto.randomBytes(6).toString('hex')}`
}

export async function load(url: string, connections: number, seconds: number, unique: boolean): Promise<LoadResult> {
  if (!unique) return autocannon({ url, connections, duration: seconds, pipelining: 1 })
  const path = new URL(url).pathname
  const run = crypto.randomBytes(6).toString('hex')
  let count = 0
  return autocannon({
    url, connections, duration: seconds, pipelining: 1,
    requests: [{ setupRequest: (req) => ({ ...req, path: `${path}?n=${run}-${count++}` }) }],
  })
}
