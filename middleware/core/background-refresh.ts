import { randomBytes } from 'node:crypto'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import { isIP } from 'node:net'
import type { LeaseTable } from '../../src/index.js'

/**
 * stale-while-revalidate's refresh: the stale entry has been served, and the
 * route must run again to replace it. In middleware there is no handle on the
 * route outside a request, so the refresh is a real request to this same
 * server, marked with a header: the middleware lets it through to the route
 * and stores what comes back. One refresh per key at a time in a process,
 * and across the processes sharing the store: the refresh holds a lease
 * named after its key in the store's lease table until its response ends
 * (or for `leaseMs`, or until its process dies). When the key's lease slot
 * is held for another name, the refresh runs without one. From when the
 * refresh reaches the server until its response is stored, the server's
 * fetch of the URL is a coalescing flight, and the caller sends no refresh
 * while one is under way (Coalescer.fetching): that covers the moment
 * between this lease's release and the store.
 * A TLS server is refreshed over TLS, to the socket's own local address and
 * port: the connection can only reach this server (or a sibling worker on
 * the same port), so its certificate is not checked; SNI names the Host.
 *
 * Under node:cluster, or several processes behind one port, the refresh may
 * land on another worker, which cannot know this process's token. So any
 * request carrying the header is a refresh, whoever sent it: it goes to the
 * origin, is never answered from the cache nor waits on another request's
 * fetch, and so can never fire a refresh of its own. A client that sends it
 * gets what `Cache-Control: no-cache` would give it, without waiting on a
 * concurrent fetch of the same URL (README "Security"). The value, random per
 * process, only tells in logs which process sent it.
 */
export const REFRESH_HEADER = 'x-spillway-refresh'
export const REFRESH_TOKEN = randomBytes(16).toString('hex')

const running = new Set<string>()

export function isRefresh(req: IncomingMessage): boolean {
  return req.headers[REFRESH_HEADER] !== undefined
}

/** Sends the refresh of `key` unless one is under way here or in another process on the store; true when it sent it. */
export function refreshInBackground(req: IncomingMessage, key: string, onError: (err: unknown) => void,
  leases?: Pick<LeaseTable, 'take' | 'release'>, leaseMs = 5000): boolean {
  const socket = req.socket as IncomingMessage['socket'] & { encrypted?: boolean }
  if (running.has(key) || socket.localPort === undefined) return false
  // A name no cache key can have: flight keys are keys of URLs.
  const leaseName = `\u0002refresh ${key}`
  const claim = leases?.take(leaseName, leaseMs)
  if (claim === 'held') return false
  running.add(key)
  const done = () => {
    running.delete(key)
    if (claim === 'taken') leases!.release(leaseName)
  }
  const headers: Record<string, string | string[] | undefined> = { ...req.headers, [REFRESH_HEADER]: REFRESH_TOKEN }
  for (const name of ['if-none-match', 'if-modified-since', 'range', 'if-range', 'cache-control', 'pragma']) delete headers[name]
  const address = socket.localAddress?.includes(':') ? `[${socket.localAddress}]` : socket.localAddress
  const options: https.RequestOptions = { host: socket.localAddress, port: socket.localPort, method: 'GET', path: (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url, headers, agent: false }
  const onResponse = (res: IncomingMessage) => {
    res.resume()
    res.on('end', done)
  }
  let refresh: http.ClientRequest
  if (socket.encrypted === true) {
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '')
    refresh = https.request({ ...options, rejectUnauthorized: false, servername: hostname !== '' && isIP(hostname) === 0 ? hostname : undefined }, onResponse)
  } else {
    refresh = http.request(options, onResponse)
  }
  refresh.on('error', (err) => {
    done()
    onError(err)
  })
  refresh.setHeader('host', req.headers.host ?? `${address}:${socket.localPort}`)
  refresh.end()
  return true
}
