/**
 * What bench/proxy.ts and its server processes (bench/lib/proxy-server.ts)
 * share: the body sizes and their routes, the bodies, the headers the origin
 * sends, and the environment through which the parent hands a server its
 * origin and its cache directory. The messages over the IPC channel are
 * bench/http.ts's (bench/lib/http-common.ts).
 */

export interface BodySize {
  label: string
  bytes: number
  /** The route that serves a body of this size: every server answers GET on it. */
  route: string
}

export const SIZES: readonly BodySize[] = [
  { label: '2 KiB', bytes: 2 * 1024, route: '/2k/item' },
  { label: '64 KiB', bytes: 64 * 1024, route: '/64k/item' },
]

/** Sent with every body, so that every cache here (spillway, apicache, nginx) may store it. */
export const CACHE_CONTROL = 'public, max-age=300'
/** Where the parent passes the origin's URL to a proxy. */
export const ORIGIN_ENV = 'SPILLWAY_BENCH_ORIGIN'
/** Where the parent passes a fresh directory to a spillway configuration. */
export const DIR_ENV = 'SPILLWAY_BENCH_DIR'

/** The server configurations of bench/lib/proxy-server.ts. */
export const SERVER_IDS = [
  'origin', 'undici-proxy', 'spillway-proxy', 'spillway-proxy-disk', 'spillway-proxy-always',
  'express-handler', 'express-spillway', 'express-apicache',
] as const
export type ServerId = (typeof SERVER_IDS)[number]

export function isServerId(s: string | undefined): s is ServerId {
  return (SERVER_IDS as readonly string[]).includes(s ?? '')
}

/** The size a request path asks for (its query aside), or undefined for any other path. */
export function sizeOf(url: string): BodySize | undefined {
  const end = url.indexOf('?')
  const path = end < 0 ? url : url.slice(0, end)
  return SIZES.find((s) => s.route === path)
}

/** `bytes` of printable ASCII, numbered lines, always the same. */
export function bodyOf(bytes: number): Buffer {
  const lines: string[] = []
  let length = 0
  for (let i = 0; length < bytes; i++) {
    const line = `${String(i).padStart(6, '0')} spillway proxy bench: the same bytes on every response\n`
    lines.push(line)
    length += line.length
  }
  return Buffer.from(lines.join('').slice(0, bytes), 'latin1')
}

/** The origin's headers for a body (Date and Connection are node:http's). */
export function originHeaders(body: Buffer): Record<string, string> {
  return {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(body.length),
    'Cache-Control': CACHE_CONTROL,
    ETag: `"bench-${body.length}"`,
  }
}
