/**
 * Real argo (1.0.1, from node_modules) with the spillway plugin in front of
 * a real origin on port 0: a node:http listener, or a raw TCP one for
 * origins that break HTTP on purpose. The origin counts the requests that
 * reach it, so a test can tell a hit (no call) from a miss.
 */
import http, { type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { after } from 'node:test'
import { argoCache, type ArgoApp, type ArgoCachePlugin, type HttpCacheOptions } from '../../middleware/argo.js'
import { tempDir } from './temp-dir.js'
import { storeSettled, type StoreSetup } from './store-settled.js'

const require = createRequire(import.meta.url)
/** argo ships no types; middleware/argo/argo-shapes.ts describes the part used here. */
export const argo = require('argo') as () => ArgoApp

/** A raw origin: gets each connection's first request head as text, writes what it likes. */
export type RawOrigin = (socket: net.Socket, head: string) => void

export interface ArgoFront {
  url: string
  /** argo's server. */
  server: Server
  originUrl: string
  plugin: ArgoCachePlugin
  /** Requests that reached the origin, per path (without query), or all. */
  originCalls(path?: string): number
  close(): Promise<void>
}

export interface ArgoFrontOptions extends StoreSetup {
  /** The cache's options; a temporary dir and admission 'always' unless given. */
  cache?: Partial<HttpCacheOptions>
  /** Builds the app around the plugin. @default (a, plugin, target) => a.use(plugin).target(target) */
  build?: (app: ArgoApp, plugin: ArgoCachePlugin, target: string) => ArgoApp
}

export async function startArgoFront(origin: RequestListener | { raw: RawOrigin }, options: ArgoFrontOptions = {}): Promise<ArgoFront> {
  const calls = new Map<string, number>()
  const count = (url: string) => {
    const path = url.split('?')[0]
    calls.set(path, (calls.get(path) ?? 0) + 1)
  }
  const sockets = new Set<net.Socket>()
  let originServer: net.Server
  if (typeof origin === 'function') {
    originServer = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      count(req.url ?? '/')
      origin(req, res)
    })
  } else {
    originServer = net.createServer((socket) => {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {})
      let head = ''
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1')
        if (!head.includes('\r\n\r\n')) return
        socket.off('data', onData)
        count(head.split(' ')[1] ?? '/')
        origin.raw(socket, head)
      }
      socket.on('data', onData)
    })
  }
  const originPort = await listen(originServer)
  const originUrl = `http://127.0.0.1:${originPort}`
  const plugin = argoCache({ dir: options.cache?.store === undefined ? tempDir('argo') : undefined, admission: 'always', ...options.cache })
  const build = options.build ?? ((a, p, target) => a.use(p).target(target))
  const server = http.createServer(build(argo(), plugin, originUrl).build().run)
  const port = await listen(server)
  await storeSettled(plugin, options)
  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    if (originServer instanceof http.Server) originServer.closeAllConnections()
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => originServer.close(() => resolve()))
    await plugin.close()
  })())
  after(close)
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    originUrl,
    plugin,
    originCalls: (path) => (path === undefined ? [...calls.values()].reduce((a, b) => a + b, 0) : calls.get(path) ?? 0),
    close,
  }
}

function listen(server: net.Server | Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)))
}

/** The next 'stored' or 'not-stored' event of the plugin, as [event, key, reason?]. */
export function nextStoringEvent(plugin: ArgoCachePlugin): Promise<[string, string, string?]> {
  return new Promise((resolve) => {
    const stored = (key: string) => { done(); resolve(['stored', key]) }
    const notStored = (key: string, reason: string) => { done(); resolve(['not-stored', key, reason]) }
    const done = () => {
      plugin.events.off('stored', stored)
      plugin.events.off('not-stored', notStored)
    }
    plugin.events.on('stored', stored)
    plugin.events.on('not-stored', notStored)
  })
}
