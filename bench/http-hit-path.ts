/**
 * bench/http-hit-path: the CPU one cache hit costs in the process, with no
 * socket and no load generator. bench/http's server figures (about 160 µs a
 * request on this machine, most of it Node's HTTP and Express) carry a
 * noise wider than the whole of a middleware's share, a few µs; here an
 * Express app serves hits to real http.IncomingMessage and
 * http.ServerResponse objects over an in-memory socket, and rounds of hits
 * alternate between the configurations, so each meets the same machine.
 *
 *   npm run bench -- http-hit-path
 *   node dist/bench/http-hit-path.js [--hits=20000] [--rounds=9] [--baseline=DIR]
 *
 * `--baseline=DIR` adds the middleware of another spillway checkout (built:
 * DIR/dist/middleware/express.js) as one more configuration, served in the
 * same rounds: the way to show that a change made a hit no dearer. Each
 * figure is the median over the rounds of process.cpuUsage() per hit.
 */
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { Duplex } from 'node:stream'
import { pathToFileURL } from 'node:url'
import express, { type Express, type RequestHandler } from 'express'
import { report, type Row } from './lib/harness.js'
import { CACHE_CONTROL, ROUTE, buildBody } from './lib/http-common.js'
import { integerArg } from './lib/args.js'

interface Apicache { middleware(duration: string): RequestHandler }
interface SpillwayExpress { httpCache(options: { dir: string; maxHeapBytes: number }): RequestHandler & { close(): Promise<void> } }

const HITS = integerArg('hits', process.env.BENCH_QUICK === '1' ? 5000 : 20000)
const ROUNDS = integerArg('rounds', process.env.BENCH_QUICK === '1' ? 5 : 9)
const BASELINE = process.argv.slice(2).find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length)

/** A socket that takes every byte and goes nowhere: the response is built in full, and nothing waits on I/O. */
class NullSocket extends Duplex {
  remoteAddress = '127.0.0.1'
  override _read(): void {}
  override _write(_chunk: unknown, _encoding: BufferEncoding, done: (error?: Error | null) => void): void { done() }
  override _writev(_chunks: unknown, done: (error?: Error | null) => void): void { done() }
}

interface Configuration {
  name: string
  app: Express
  /** Calls of the origin handler so far: none may happen while hits are measured. */
  originCalls: () => number
  /** Whether the last response was a hit, as the configuration tells it. */
  wasHit: (res: http.ServerResponse) => boolean
  close: () => Promise<void>
  cpuPerHit: number[]
}

const socket = new NullSocket()
socket.setMaxListeners(0)

/** One GET of ROUTE through `app`, as node:http would hand it over; resolves when the response has finished. */
function request(app: Express): Promise<http.ServerResponse> {
  return new Promise((resolve, reject) => {
    const req = new http.IncomingMessage(socket as never)
    req.method = 'GET'
    req.url = ROUTE
    req.httpVersion = '1.1'
    req.headers = { host: '127.0.0.1:3000', connection: 'keep-alive' }
    req.rawHeaders = ['Host', '127.0.0.1:3000', 'Connection', 'keep-alive']
    req.complete = true
    req.push(null)
    const res = new http.ServerResponse(req)
    res.assignSocket(socket as never)
    res.on('finish', () => {
      res.detachSocket(socket as never)
      resolve(res)
    })
    app(req as never, res as never, (err?: unknown) => reject(err ?? new Error(`${ROUTE} fell through every handler`)))
  })
}

function withOrigin(app: Express): () => number {
  let calls = 0
  app.get(ROUTE, (_req, res) => {
    calls++
    res.set('Cache-Control', CACHE_CONTROL)
    res.type('json').send(buildBody())
  })
  return () => calls
}

const BUFFER = Buffer.from(buildBody())

function ceiling(): Configuration {
  const app = express()
  app.get(ROUTE, (_req, res) => {
    res.set('Cache-Control', CACHE_CONTROL)
    res.type('json').send(BUFFER)
  })
  return { name: 'express, precomputed Buffer', app, originCalls: () => 0, wasHit: () => true, close: async () => {}, cpuPerHit: [] }
}

function apicache(): Configuration {
  const app = express()
  const cache = createRequire(import.meta.url)('apicache') as Apicache
  app.use(cache.middleware('5 minutes'))
  const originCalls = withOrigin(app)
  return { name: 'express + apicache (memory)', app, originCalls, wasHit: () => originCalls() > 0, close: async () => {}, cpuPerHit: [] }
}

async function spillway(name: string, moduleFile: string, dir: string): Promise<Configuration> {
  const { httpCache } = (await import(pathToFileURL(moduleFile).href)) as SpillwayExpress
  const app = express()
  const cache = httpCache({ dir, maxHeapBytes: 64 * 2 ** 20 })
  app.use(cache)
  const originCalls = withOrigin(app)
  const wasHit = (res: http.ServerResponse) => String(res.getHeader('cache-status') ?? '').includes('hit')
  return { name, app, originCalls, wasHit, close: () => cache.close(), cpuPerHit: [] }
}

/** Requests until the configuration answers from its cache (a store opens in the background, and may admit on a second miss). */
async function prime(config: Configuration): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await request(config.app)
    if (res.statusCode !== 200) throw new Error(`${config.name}: status ${res.statusCode}`)
    if (config.wasHit(res) && i >= 2) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${config.name}: no hit after 200 requests`)
}

async function measure(config: Configuration): Promise<void> {
  const start = process.cpuUsage()
  for (let i = 0; i < HITS; i++) await request(config.app)
  const used = process.cpuUsage(start)
  config.cpuPerHit.push((used.user + used.system) / HITS)
}

/** The commit a checkout is at, so a saved table names its baseline by what it is, not by where it lay. */
function commitOf(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown (not a git checkout)'
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-hit-path-'))
const configs: Configuration[] = [ceiling(), apicache()]
const SPILLWAY = 'express + spillway (heap hit)'
configs.push(await spillway(SPILLWAY, new URL('../middleware/express.js', import.meta.url).pathname, path.join(root, 'this')))
const BASELINE_NAME = 'express + spillway baseline (heap hit)'
if (BASELINE !== undefined) {
  configs.push(await spillway(BASELINE_NAME, path.resolve(BASELINE, 'dist/middleware/express.js'), path.join(root, 'baseline')))
}
try {
  for (const config of configs) await prime(config)
  const originBefore = configs.map((c) => c.originCalls())
  console.log(`hit path in process: ${HITS} hits a round, ${ROUNDS} rounds, configurations alternating within each round`)
  for (let round = 0; round <= ROUNDS; round++) {
    for (const config of configs) await measure(config)
    // The first round warms up: it is measured, then dropped.
    if (round === 0) for (const config of configs) config.cpuPerHit.length = 0
  }
  const rows: Row[] = configs.map((config, i) => {
    const us = median(config.cpuPerHit)
    const misses = config.originCalls() - originBefore[i]
    const spread = `rounds ${Math.min(...config.cpuPerHit).toFixed(2)}–${Math.max(...config.cpuPerHit).toFixed(2)} µs`
    return {
      name: config.name,
      opsPerSec: 1e6 / us,
      values: { us },
      vs: config.name === 'express + apicache (memory)' ? undefined : 'express + apicache (memory)',
      note: misses === 0 ? spread : `${spread}; ${misses} origin calls while measured: not all hits`,
    }
  })
  const facts: Record<string, string> = { 'hits a round': String(HITS), rounds: String(ROUNDS) }
  if (BASELINE !== undefined) facts.baseline = `the middleware of commit ${commitOf(BASELINE)}`
  report('http-hit-path', 'HTTP hit path in process: CPU a hit, no socket', rows, facts, {
    rateHeader: 'hits per CPU s',
    columns: [{ key: 'us', header: 'CPU µs/hit', digits: 2 }],
    footer: 'Produced by `npm run bench -- --save http-hit-path`. Median over rounds that alternate between the configurations in one process; the ratio is hits per CPU second against apicache\'s (above 1 is cheaper).',
  })
  const ours = rows.find((r) => r.name === SPILLWAY)
  const theirs = rows.find((r) => r.name === BASELINE_NAME)
  if (ours !== undefined && theirs !== undefined) {
    console.log(`\nthis checkout against the baseline, CPU a hit: ${((1e6 / ours.opsPerSec) / (1e6 / theirs.opsPerSec)).toFixed(3)}× (below 1 is cheaper)`)
  }
} finally {
  for (const config of configs) await config.close()
  fs.rmSync(root, { recursive: true, force: true })
}
