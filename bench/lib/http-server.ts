/**
 * One server of bench/http.ts, in a process of its own:
 *
 *   node dist/bench/lib/http-server.js <config>
 *
 * Listens on 127.0.0.1, port 0. Started by bench/http.ts (with an IPC
 * channel), it reports its port with a `ready` message and answers `start`
 * and `stop` with its CPU time (process.cpuUsage()), requests received and
 * origin calls in between; run by hand, it prints its port and serves until
 * killed. Configurations are listed in bench/lib/http-common.ts.
 */
import crypto from 'node:crypto'
import http from 'node:http'
import { serveMeasured } from './measured-server.js'
import { createRequire } from 'node:module'
import express, { type RequestHandler } from 'express'
import {
  BODY_BYTES, CACHE_CONTROL, DIR_ENV, ORIGIN_DELAY_MS, ROUTE, buildBody, isConfigId,
  type ConfigId, type ServerMessage,
} from './http-common.js'

interface Apicache { middleware(duration: string): RequestHandler }
interface SpillwayExpress { httpCache(options: { dir: string; maxHeapBytes: number }): RequestHandler }

class StageError extends Error {
  constructor(readonly stage: 'import' | 'setup', message: string) { super(message) }
}

/** Calls of the origin handler, for serveMeasured. */
let originTotal = 0

/** The origin: builds the document, then waits, as a handler that queries a database would. */
const slowOrigin: RequestHandler = (_req, res) => {
  originTotal++
  const body = buildBody()
  setTimeout(() => {
    res.set('Cache-Control', CACHE_CONTROL)
    res.type('json').send(body)
  }, ORIGIN_DELAY_MS)
}

const BUFFER = Buffer.from(buildBody())

/** Express's own (weak) ETag for the body: W/"<length in hex>-<first 27 characters of the base64 SHA-1>". */
function expressEtag(body: Buffer): string {
  const hash = crypto.createHash('sha1').update(body).digest('base64').slice(0, 27)
  return `W/"${body.length.toString(16)}-${hash}"`
}

/** The headers Express sends with the body (Date and Connection are added by node:http in both). */
const RAW_HEADERS = {
  'X-Powered-By': 'Express',
  'Cache-Control': CACHE_CONTROL,
  'Content-Type': 'application/json; charset=utf-8',
  'Content-Length': String(BODY_BYTES),
  ETag: expressEtag(BUFFER),
}

async function loadSpillway(): Promise<SpillwayExpress> {
  // A specifier the compiler does not resolve: middleware/express.ts may not exist yet.
  const specifier = '../../middleware/express.js'
  let mod: Partial<SpillwayExpress>
  try {
    mod = (await import(specifier)) as Partial<SpillwayExpress>
  } catch (err) {
    throw new StageError('import', err instanceof Error ? err.message.split('\n')[0] : String(err))
  }
  if (typeof mod.httpCache !== 'function') throw new StageError('import', 'middleware/express.js exports no httpCache function')
  return mod as SpillwayExpress
}

async function handlerFor(config: ConfigId): Promise<http.RequestListener> {
  if (config === 'node-buffer') {
    return (_req, res) => {
      res.writeHead(200, RAW_HEADERS)
      res.end(BUFFER)
    }
  }
  const app = express()
  if (config === 'express-apicache') {
    const apicache = createRequire(import.meta.url)('apicache') as Apicache
    app.use(apicache.middleware('5 minutes'))
  } else if (config === 'express-spillway-heap' || config === 'express-spillway-disk') {
    const { httpCache } = await loadSpillway()
    const dir = process.env[DIR_ENV]
    if (dir === undefined || dir === '') throw new StageError('setup', `${DIR_ENV} is not set`)
    try {
      app.use(httpCache({ dir, maxHeapBytes: config === 'express-spillway-heap' ? 64 * 2 ** 20 : 0 }))
    } catch (err) {
      throw new StageError('setup', `httpCache(): ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  if (config === 'express-buffer') {
    app.get(ROUTE, (_req, res) => {
      res.set('Cache-Control', CACHE_CONTROL)
      res.type('json').send(BUFFER)
    })
  } else {
    app.get(ROUTE, slowOrigin)
  }
  return app
}

async function main(): Promise<void> {
  const config = process.argv[2]
  if (!isConfigId(config)) throw new StageError('setup', `unknown configuration ${config ?? '(none)'}`)
  await serveMeasured(await handlerFor(config), () => originTotal, (url) => `${config} listening on ${url}${ROUTE}`)
}

main().catch((err: unknown) => {
  const stage = err instanceof StageError ? err.stage : 'setup'
  const message = err instanceof Error ? err.message : String(err)
  if (process.send === undefined) console.error(`${stage}: ${message}`)
  // Exit only once the message is out.
  if (process.send !== undefined) process.send({ type: 'fail', stage, message } satisfies ServerMessage, () => process.exit(1))
  else process.exit(1)
})
