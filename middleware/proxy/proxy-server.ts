import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'

/** A caching proxy listening on a port. */
export interface ListeningProxy {
  server: Server
  /** `http://host:port`, with the port the system chose when 0 was asked for. */
  url: string
  /**
   * Shuts down gracefully: stops accepting connections, lets the requests
   * under way finish (their connections then close instead of idling),
   * closes upgraded (WebSocket) tunnels, then closes the origin connections
   * and the cache (which flushes and closes a store it opened). After
   * `graceMs` the connections still open are cut. Idempotent.
   */
  close(graceMs?: number): Promise<void>
}

export interface ProxyHandlers {
  handle(req: IncomingMessage, res: ServerResponse): void
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Open upgraded tunnels, closed at shutdown. */
  tunnels: Set<Duplex>
  /** Ends the responses that never end by themselves (the dashboard's event streams), as shutdown starts. */
  endStreams(): void
  close(): Promise<void>
}

/** Listens on `port` (0 for any) and `host`, resolving once it does. */
export async function listenProxy(proxy: ProxyHandlers, port: number, host: string): Promise<ListeningProxy> {
  let closing: Promise<void> | undefined
  const inFlight = new Set<ServerResponse>()
  const server = http.createServer((req, res) => {
    // Past shutdown's start, requests on kept-alive connections are still served, on their last round.
    if (closing !== undefined) res.setHeader('connection', 'close')
    inFlight.add(res)
    res.once('close', () => {
      inFlight.delete(res)
      if (closing !== undefined) server.closeIdleConnections()
    })
    proxy.handle(req, res)
  })
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (closing !== undefined) return void socket.destroy()
    proxy.upgrade(req, socket, head)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address() as AddressInfo
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return {
    server,
    url: `http://${shown}:${address.port}`,
    close: (graceMs = 30_000) => (closing ??= (async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close')
      server.closeIdleConnections()
      for (const tunnel of proxy.tunnels) tunnel.destroy()
      proxy.endStreams()
      const cut = setTimeout(() => server.closeAllConnections(), graceMs)
      cut.unref()
      await closed
      clearTimeout(cut)
      await proxy.close()
    })()),
  }
}
