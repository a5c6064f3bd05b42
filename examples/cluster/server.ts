/**
 * `node dist/examples/cluster/server.js`: an Express app under node:cluster,
 * one worker per core, every worker caching in one directory
 * (.cache/cluster, or SPILLWAY_DIR). No IPC between workers and no master
 * process is involved in caching: the workers share the store's files.
 *
 * The primary demonstrates two things, then keeps serving (Ctrl-C to stop;
 * --demo-only exits instead; --json prints the figures as one JSON line):
 * - a burst of concurrent requests for one uncached URL, spread over the
 *   workers by the cluster's round-robin, makes one call to the slow origin;
 * - a response the origin produced in one worker is served by the others.
 * WORKERS sets the number of workers, BURST the number of requests.
 */
import cluster from 'node:cluster'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import express from 'express'
import { httpCache } from '../../middleware/express.js'

const dir = path.resolve(process.env.SPILLWAY_DIR ?? '.cache/cluster')
const ORIGIN_DELAY_MS = 300

type FromWorker = { listening: number } | { origin: string }

if (cluster.isPrimary) await primary()
else await worker()

async function worker(): Promise<void> {
  const id = cluster.worker!.id
  const cache = httpCache({ dir })
  await cache.ready // the store is open before the worker takes requests
  const app = express()
  // Who answered, set before the cache: a hit carries it too.
  app.use((_req, res, next) => {
    res.setHeader('x-served-by', `worker ${id}`)
    next()
  })
  app.use(cache)
  app.get('/report', async (req, res) => {
    process.send!({ origin: req.originalUrl } satisfies FromWorker)
    await new Promise((resolve) => setTimeout(resolve, ORIGIN_DELAY_MS))
    res.set('cache-control', 'public, max-age=300').json({ report: req.query.run, generatedBy: `worker ${id}`, at: new Date().toISOString() })
  })
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  process.send!({ listening: (server.address() as AddressInfo).port } satisfies FromWorker)
  process.on('disconnect', () => {
    server.closeAllConnections()
    server.close(() => void cache.close().then(() => process.exit(0)))
  })
}

async function primary(): Promise<void> {
  const count = Number(process.env.WORKERS ?? os.availableParallelism())
  const burst = Number(process.env.BURST ?? 200)
  const json = process.argv.includes('--json')
  const log = (line: string) => { if (!json) console.log(line) }
  const origins: string[] = []
  const ports = await Promise.all(Array.from({ length: count }, () => new Promise<number>((resolve, reject) => {
    const w = cluster.fork()
    w.on('message', (m: FromWorker) => {
      if ('listening' in m) resolve(m.listening)
      else origins.push(m.origin)
    })
    w.once('exit', (code) => reject(new Error(`worker ${w.id} exited (code ${code}) before it was ready`)))
  }))).catch((err: Error) => {
    console.error(err.message)
    cluster.disconnect()
    process.exit(1)
  })
  const url = `http://127.0.0.1:${ports[0]}`
  log(`spillway cluster demo: ${count} workers on ${url}, one cache in ${dir}`)
  // A URL no earlier run has cached.
  const report = `/report?run=${Date.now()}`
  log(`${burst} concurrent GET ${report} (the origin takes ${ORIGIN_DELAY_MS} ms):`)
  const responses = await Promise.all(Array.from({ length: burst }, () => get(`${url}${report}`)))
  const servedBy = new Set(responses.map((r) => r.servedBy))
  const generatedBy = new Set(responses.map((r) => JSON.parse(r.body).generatedBy as string))
  const originCalls = origins.filter((o) => o === report).length
  log(`  answered by ${[...servedBy].sort().join(', ')}; origin calls: ${originCalls}`)
  // On fresh connections, round-robin moves each request to the next worker: soon one lands on a worker other than the producer.
  const crossServed: Array<Awaited<ReturnType<typeof get>>> = []
  for (let i = 0; i < 2 * count && crossServed.length === 0; i++) {
    const r = await get(`${url}${report}`)
    log(`  then: ${r.servedBy} served what ${JSON.parse(r.body).generatedBy} generated (cache-status: ${r.cacheStatus})`)
    if (r.servedBy !== JSON.parse(r.body).generatedBy && /hit/.test(r.cacheStatus)) crossServed.push(r)
  }
  const figures = {
    workers: count, requests: burst, originCalls, servedBy: servedBy.size, generatedBy: [...generatedBy],
    statuses: [...new Set(responses.map((r) => r.status))], crossServed: crossServed.length,
  }
  if (json) console.log(JSON.stringify(figures))
  if (process.argv.includes('--demo-only')) {
    cluster.disconnect()
    return
  }
  log(`\nserving at ${url}; try:`)
  log(`  for i in 1 2 3 4; do curl -s -D- -o /dev/null ${url}/report?run=1 | grep -i -E 'x-served-by|cache-status'; done`)
  log('Ctrl-C to stop.')
}

/** A GET on a fresh connection, so the cluster's round-robin picks its worker. */
function get(url: string): Promise<{ status: number; servedBy: string; cacheStatus: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({
        status: res.statusCode ?? 0, servedBy: String(res.headers['x-served-by']), cacheStatus: String(res.headers['cache-status']),
        body: Buffer.concat(chunks).toString(),
      }))
    }).on('error', reject)
  })
}
