import type { IncomingMessage } from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import createDebug from 'debug'
import { originRequestHeaders } from './forwarding-headers.js'
import type { ResolvedProxyOptions } from './options.js'

const debug = createDebug('spillway:proxy')

/**
 * An `Upgrade` request (a WebSocket handshake, say), passed through at the
 * socket level: its head goes to the origin on a connection of its own,
 * with the forwarding fields added and Connection/Upgrade kept (they are
 * what is asked of the origin), then the bytes flow both ways untouched
 * until either side closes. The cache never sees it. If the origin cannot
 * be reached, the client gets a 502 and its connection is closed.
 */
export function tunnelUpgrade(req: IncomingMessage, client: Duplex, head: Buffer, opts: ResolvedProxyOptions,
  tunnels: Set<Duplex>): void {
  const path = req.url ?? ''
  if (path.charCodeAt(0) !== 47 /* / */) return refuse(client, 400, 'Bad Request', 'the request target must be a path')
  const { target } = opts
  const secure = target.protocol === 'https:'
  const port = Number(target.port === '' ? (secure ? 443 : 80) : target.port)
  const host = target.hostname.replace(/^\[|\]$/g, '')
  const origin: net.Socket = secure
    ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined, ...opts.tls })
    : net.connect(port, host)
  let connected = false
  tunnels.add(client)
  const timer = setTimeout(() => origin.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' })), opts.connectTimeoutMs)
  origin.once(secure ? 'secureConnect' : 'connect', () => {
    connected = true
    clearTimeout(timer)
    const fields = originRequestHeaders(req, opts, false)
    fields.push('connection', 'upgrade', 'upgrade', String(req.headers.upgrade))
    let text = `${req.method} ${path} HTTP/1.1\r\n`
    for (let i = 0; i < fields.length; i += 2) text += `${fields[i]}: ${fields[i + 1]}\r\n`
    origin.write(`${text}\r\n`)
    if (head.byteLength > 0) origin.write(head)
    origin.pipe(client)
    client.pipe(origin)
  })
  origin.on('error', (err: Error & { code?: string }) => {
    clearTimeout(timer)
    debug('upgrade %s: origin %s (%s)', path, err.message, err.code)
    if (!connected) {
      const timedOut = err.code === 'ETIMEDOUT'
      refuse(client, timedOut ? 504 : 502, timedOut ? 'Gateway Timeout' : 'Bad Gateway',
        timedOut ? `connecting to the origin timed out after ${opts.connectTimeoutMs} ms` : `the origin is unreachable (${err.code ?? 'error'})`)
    } else {
      client.destroy()
    }
  })
  client.on('error', () => origin.destroy())
  client.once('close', () => {
    tunnels.delete(client)
    clearTimeout(timer)
    origin.destroy()
  })
  origin.once('close', () => {
    if (connected) client.destroy()
  })
}

function refuse(client: Duplex, status: number, reason: string, what: string): void {
  const body = `${status} ${reason}: ${what}\n`
  client.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
    `cache-control: no-store\r\nconnection: close\r\n\r\n${body}`)
}
