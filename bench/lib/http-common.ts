/**
 * What bench/http.ts and its server processes (bench/lib/http-server.ts)
 * share: the configurations, the response body, and the messages that go
 * over the IPC channel between them.
 */

/** The one route every configuration serves. */
export const ROUTE = '/item/42'
/** Size of the JSON body, in bytes. */
export const BODY_BYTES = 2036
/** How long the slow origin handler waits after building the body. */
export const ORIGIN_DELAY_MS = 20
/** Sent by the origin with every response, so that an RFC 9111 cache may store it. */
export const CACHE_CONTROL = 'public, max-age=300'
/** Where the parent passes a fresh directory to the spillway configurations. */
export const DIR_ENV = 'SPILLWAY_BENCH_DIR'

export const CONFIGS = [
  { id: 'express-nocache', name: 'express, no cache', cached: false, spillway: false },
  { id: 'express-apicache', name: 'express + apicache (memory)', cached: true, spillway: false },
  { id: 'express-spillway-heap', name: 'express + spillway (heap hit)', cached: true, spillway: true },
  { id: 'express-spillway-disk', name: 'express + spillway (disk hit)', cached: true, spillway: true },
  { id: 'express-buffer', name: 'express, precomputed Buffer', cached: false, spillway: false },
  { id: 'node-buffer', name: 'node:http, precomputed Buffer', cached: false, spillway: false },
] as const
export type ConfigId = (typeof CONFIGS)[number]['id']
export type Config = (typeof CONFIGS)[number]

export function isConfigId(s: string | undefined): s is ConfigId {
  return CONFIGS.some((c) => c.id === s)
}

/**
 * The document the origin serves: an order with a few lines, as a real API
 * would return, padded to exactly BODY_BYTES bytes of ASCII JSON. Built anew
 * on every origin call (that is part of the origin's work), always the same.
 */
export function buildBody(): string {
  const doc = {
    id: 42,
    kind: 'order',
    customer: { id: 'c-1729', name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold' },
    currency: 'EUR',
    lines: Array.from({ length: 12 }, (_, i) => ({
      sku: `SKU-${String(1000 + i * 37).padStart(6, '0')}`,
      title: `Item number ${i + 1}`,
      qty: (i % 3) + 1,
      unitPrice: Math.round((9.99 + i * 3.5) * 100) / 100,
      tags: ['bench', i % 2 === 0 ? 'even' : 'odd'],
    })),
    createdAt: '2024-05-01T12:00:00.000Z',
    pad: '',
  }
  const missing = BODY_BYTES - JSON.stringify(doc).length
  if (missing < 0) throw new Error(`the bench document is ${-missing} bytes over ${BODY_BYTES}`)
  doc.pad = 'x'.repeat(missing)
  return JSON.stringify(doc)
}

/** Parent → server. `start` resets the counters and the CPU baseline; `stop` reports what happened since. */
export interface Command { cmd: 'start' | 'stop' }

export type ServerMessage =
  | { type: 'ready'; port: number }
  | { type: 'fail'; stage: 'import' | 'setup'; message: string }
  | { type: 'started' }
  | ({ type: 'stopped' } & Counters)

export interface Counters {
  /** process.cpuUsage() delta since `start`, µs (every thread of the process: main, GC, libuv pool). */
  cpuUserUs: number
  cpuSystemUs: number
  /** Wall time since `start`, µs. */
  wallUs: number
  /** Requests the server received since `start`. */
  requests: number
  /** Calls of the slow origin handler since `start`, and since the server started. */
  originCalls: number
  originTotal: number
  rssBytes: number
}
