import { randomBytes } from 'node:crypto'
import http, { type IncomingMessage } from 'node:http'

/**
 * stale-while-revalidate's refresh: the stale entry has been served, and the
 * route must run again to replace it. In middleware there is no handle on the
 * route outside a request, so the refresh is a real request to this same
 * server, marked with a token that only this process knows: the middleware
 * lets it through to the route and stores what comes back. One refresh per
 * key at a time. Servers behind TLS are not refreshed this way (the next
 * request after the stale window revalidates instead).
 */
export const REFRESH_HEADER = 'x-spillway-refresh'
export const REFRESH_TOKEN = randomBytes(16).toString('hex')

const running = new Set<string>()

export function isRefresh(req: IncomingMessage): boolean {
  return req.headers[REFRESH_HEADER] === REFRESH_TOKEN
}

export function refreshInBackground(req: IncomingMessage, key: string, onError: (err: unknown) => void): void {
  const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean }
  if (running.has(key) || socket.encrypted === true || socket.localPort === undefined) return
  running.add(key)
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, [REFRESH_HEADER]: REFRESH_TOKEN }
  for (const name of ['if-none-match', 'if-modified-since', 'range', 'if-range', 'cache-control', 'pragma']) delete headers[name]
  const address = socket.localAddress?.includes(':') ? `[${socket.localAddress}]` : socket.localAddress
  const refresh = http.request({ host: socket.localAddress, port: socket.localPort, method: 'GET', path: (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url, headers, agent: false }, (res) => {
    res.resume()
    res.on('end', () => running.delete(key))
  })
  refresh.on('error', (err) => {
    running.delete(key)
    onError(err)
  })
  refresh.setHeader('host', req.headers.host ?? `${address}:${socket.localPort}`)
  refresh.end()
}
