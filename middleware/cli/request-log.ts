import type { IncomingMessage, Server, ServerResponse } from 'node:http'

/**
 * `--log`: one line per request on stdout, when its response ends:
 * method, URL, status, what the cache did (from Cache-Status: hit, stale,
 * or the fwd reason such as uri-miss, bypass or method; "aborted" when the
 * response was cut off) and milliseconds.
 */
export function logRequests(server: Server, write: (line: string) => void): void {
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const start = process.hrtime.bigint()
    res.once('close', () => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6
      const cache = res.writableFinished ? cacheOutcome(res.getHeader('cache-status')) : 'aborted'
      write(`${req.method} ${req.url} ${res.statusCode} ${cache} ${ms.toFixed(1)}ms`)
    })
  })
}

function cacheOutcome(header: unknown): string {
  const text = Array.isArray(header) ? header.join(', ') : header === undefined ? '' : String(header)
  const fwd = /;\s*fwd=([\w-]+)/.exec(text)
  if (/;\s*hit\b/.test(text)) return fwd?.[1] === 'stale' ? 'stale' : 'hit'
  return fwd === null ? '-' : fwd[1]
}
