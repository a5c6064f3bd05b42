import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import createDebug from 'debug'
import { checkInteger } from '../../src/option-checks.js'
import { assetNamed } from './assets.js'
import { sampleEvent, STREAM_HEADERS, streamSamples } from './event-stream.js'
import { Sampler } from './sampler.js'
import { readSnapshot, type StatsSource } from './snapshot.js'

const debug = createDebug('spillway:dashboard')

export interface DashboardOptions {
  /** Milliseconds between two readings of stats() while a page is open. @default 1000 */
  intervalMs?: number
  /** Samples the page keeps and draws. @default 600 (ten minutes at one a second) */
  history?: number
}

/**
 * A request handler that serves the live dashboard where it is mounted:
 * `app.use('/_spillway', cache.dashboard())` (Express, Connect), or a
 * `node:http` listener of its own. It keeps no numbers: a sampler reads
 * stats() every `intervalMs` while a page is connected and sends each
 * sample to the pages as server-sent events.
 */
export type Dashboard = ((req: IncomingMessage, res: ServerResponse, next?: unknown) => void) & {
  /**
   * Serves `req` as the dashboard mounted at `relative`'s parent: '' is the
   * mount point itself (redirected to its '/', as the page's links are
   * relative), '/' the page, '/events' the event stream, '/snapshot' one
   * sample as JSON, '/assets/NAME' a file. Anything else is a 404.
   */
  serve(req: IncomingMessage, res: ServerResponse, relative: string): void
  /** Event streams open now. */
  readonly clients: number
  /** Whether the sampler reads stats(): exactly while a stream is open. */
  readonly sampling: boolean
  /** 'connected' and 'disconnected' (with the number of streams then open) as event streams open and close. */
  readonly events: EventEmitter
  /**
   * Ends every event stream and stops the sampler, for good: at shutdown,
   * as an open stream would keep a server from closing. Later requests for
   * the stream get a 503; the page and its files are still served.
   */
  close(): void
}

/**
 * RFC 9110 (and the CSP standard): the page runs only the scripts and styles
 * it is served with, from its own origin, talks only to its own origin, and
 * cannot be framed. uPlot sets element styles through the CSSOM, which
 * style-src does not govern.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const THING = 'dashboard'

export function createDashboard(source: StatsSource, options: DashboardOptions = {}): Dashboard {
  if (options === null || typeof options !== 'object') throw new TypeError(`${THING} options must be an object`)
  const intervalMs = checkInteger(THING, 'intervalMs', options.intervalMs ?? 1000, 10, 3_600_000)
  const history = checkInteger(THING, 'history', options.history ?? 600, 2, 100_000)
  const sample = () => JSON.stringify(readSnapshot(source, intervalMs, history))
  const sampler = new Sampler(() => sampleEvent(sample()), intervalMs)
  const streams = new Set<ServerResponse>()
  const events = new EventEmitter()
  let closed = false

  function serve(req: IncomingMessage, res: ServerResponse, relative: string): void {
    try {
      route(req, res, relative)
    } catch (err) {
      debug('dashboard request failed: %s', err)
      if (!res.headersSent) plain(res, 500, `${(err as Error).message}\n`)
      else res.destroy()
    }
  }

  function route(req: IncomingMessage, res: ServerResponse, relative: string): void {
    res.setHeader('content-security-policy', CSP)
    res.setHeader('x-content-type-options', 'nosniff')
    res.setHeader('referrer-policy', 'no-referrer')
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD')
      return plain(res, 405, 'method not allowed\n')
    }
    if (relative === '') return redirectToSlash(req, res)
    if (relative === '/') return sendAsset(req, res, 'index.html')
    if (relative === '/events') return openStream(req, res)
    if (relative === '/snapshot') return sendJson(req, res, sample())
    if (relative.startsWith('/assets/')) return sendAsset(req, res, relative.slice('/assets/'.length))
    plain(res, 404, 'not found\n')
  }

  function openStream(req: IncomingMessage, res: ServerResponse): void {
    if (req.method === 'HEAD') {
      res.writeHead(200, STREAM_HEADERS)
      return void res.end()
    }
    if (closed) {
      // Shutting down: an EventSource gives up on a status other than 200, instead of reconnecting.
      res.setHeader('connection', 'close')
      return plain(res, 503, 'the dashboard is closed\n')
    }
    streams.add(res)
    events.emit('connected', streams.size)
    streamSamples(res, sampler, () => {
      streams.delete(res)
      debug('event stream closed, %d open', streams.size)
      events.emit('disconnected', streams.size)
    })
  }

  const dashboard = ((req: IncomingMessage, res: ServerResponse) => serve(req, res, relativePath(req))) as Dashboard
  Object.defineProperties(dashboard, {
    clients: { get: () => streams.size },
    sampling: { get: () => sampler.running },
  })
  return Object.assign(dashboard, {
    serve,
    events,
    close: () => {
      closed = true
      sampler.close()
      for (const res of streams) res.end()
    },
  })
}

/**
 * The path below the mount point. Express and Connect strip the mount path
 * from req.url and keep the whole one in req.originalUrl; both give '/' for
 * '/_spillway' and for '/_spillway/', so originalUrl tells them apart.
 */
function relativePath(req: IncomingMessage): string {
  const path = pathOf(req.url ?? '/')
  const original = (req as { originalUrl?: string }).originalUrl
  if (path === '/' && original !== undefined && !pathOf(original).endsWith('/')) return ''
  return path
}

function pathOf(url: string): string {
  const end = url.search(/[?#]/)
  return end < 0 ? url : url.slice(0, end)
}

/** The page's links are relative to its own URL, which must end in '/'. A relative Location keeps any prefix a proxy in front adds. */
function redirectToSlash(req: IncomingMessage, res: ServerResponse): void {
  const original = pathOf((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/')
  const last = original.slice(original.lastIndexOf('/') + 1)
  res.statusCode = 301
  res.setHeader('location', `./${last}/`)
  res.setHeader('cache-control', 'no-store')
  res.end()
}

function sendAsset(req: IncomingMessage, res: ServerResponse, name: string): void {
  const asset = assetNamed(name)
  if (asset === undefined) return plain(res, 404, 'not found\n')
  // `private`: a shared cache in front (spillway's own) keeps none of it; `no-cache`: the browser checks the ETag after an upgrade.
  res.setHeader('cache-control', name === 'index.html' ? 'no-store' : 'private, no-cache')
  res.setHeader('etag', asset.etag)
  res.setHeader('content-type', asset.type)
  if ((req.headers['if-none-match'] ?? '').split(',').some((tag) => tag.trim() === asset.etag)) {
    res.statusCode = 304
    return void res.end()
  }
  res.setHeader('content-length', asset.body.byteLength)
  res.end(req.method === 'HEAD' ? undefined : asset.body)
}

function sendJson(req: IncomingMessage, res: ServerResponse, json: string): void {
  const body = Buffer.from(json)
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': body.byteLength })
  res.end(req.method === 'HEAD' ? undefined : body)
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.statusCode = status
  res.setHeader('content-type', 'text/plain; charset=utf-8')
  res.setHeader('cache-control', 'no-store')
  res.end(text)
}

/** The path of `url` below `mount` ('' for the mount itself), or undefined when it is not at or below it. */
export function pathBelow(mount: string, url: string): string | undefined {
  const path = pathOf(url)
  if (path === mount) return ''
  return path.startsWith(`${mount}/`) ? path.slice(mount.length) : undefined
}
