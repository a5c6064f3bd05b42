/**
 * The cells of bench/proxy.ts: each a server configuration
 * (bench/lib/proxy-server.ts, or nginx) and a workload, measured at every
 * body size. `--only=<id>,...` picks cells by id.
 */
import type { ServerId } from './proxy-common.js'

export interface Cell {
  id: string
  name: string
  server: ServerId | 'nginx'
  workload: 'hit' | 'miss'
  /** Whether a hit is answered by a cache (the ceiling answers every request itself). */
  cached: boolean
  /** Whether the server forwards to the origin process. */
  proxy: boolean
}

export const CELLS: Cell[] = [
  { id: 'ceiling', name: 'node:http, precomputed Buffer (ceiling)', server: 'origin', workload: 'hit', cached: false, proxy: false },
  { id: 'undici-miss', name: 'undici proxy, no cache: miss', server: 'undici-proxy', workload: 'miss', cached: false, proxy: true },
  { id: 'proxy-hit', name: 'spillway proxy: heap-tier hit', server: 'spillway-proxy', workload: 'hit', cached: true, proxy: true },
  { id: 'proxy-disk-hit', name: 'spillway proxy: disk-tier hit (no heap tier)', server: 'spillway-proxy-disk', workload: 'hit', cached: true, proxy: true },
  { id: 'proxy-miss', name: 'spillway proxy: miss, stored (admission \'always\')', server: 'spillway-proxy-always', workload: 'miss', cached: false, proxy: true },
  { id: 'proxy-miss-first', name: 'spillway proxy: miss, first sighting (not stored)', server: 'spillway-proxy', workload: 'miss', cached: false, proxy: true },
  { id: 'handler-hit', name: 'cache.handler(express app): hit before Express', server: 'express-handler', workload: 'hit', cached: true, proxy: false },
  { id: 'express-spillway-hit', name: 'express + spillway middleware: hit', server: 'express-spillway', workload: 'hit', cached: true, proxy: false },
  { id: 'express-apicache-hit', name: 'express + apicache: hit', server: 'express-apicache', workload: 'hit', cached: true, proxy: false },
  { id: 'nginx-hit', name: 'nginx proxy_cache: hit', server: 'nginx', workload: 'hit', cached: true, proxy: true },
  { id: 'nginx-miss', name: 'nginx proxy_cache: miss, stored', server: 'nginx', workload: 'miss', cached: false, proxy: true },
]
