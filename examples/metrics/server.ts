/**
 * An Express app with spillway caching its slow /products route and
 * Prometheus metrics at /metrics (spillway/metrics, over prom-client).
 *
 * It starts on a free port (or PORT), makes a few requests itself (two
 * misses, as a URL is stored on its second miss, then two hits), prints the
 * spillway lines of its own /metrics, then keeps serving so you can scrape it
 * (Ctrl-C to stop). --demo-only exits after the demonstration; --json
 * prints the figures as one JSON line.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import express from 'express'
import { collectDefaultMetrics, Registry } from 'prom-client'
import { openStore } from '../../src/index.js'
import { httpCache } from '../../middleware/express.js'
import { registerSpillwayMetrics } from '../../middleware/metrics.js'

const dir = path.resolve(process.env.SPILLWAY_DIR ?? '.cache/metrics-example')
const ORIGIN_DELAY_MS = 200
const json = process.argv.includes('--json')

// The app opens the store itself, so the metrics see its tiers and journals as well as the HTTP cache.
const store = await openStore({ dir, maxHeapBytes: 16 * 1024 * 1024 })
const cache = httpCache({ store })
const registry = new Registry()
collectDefaultMetrics({ register: registry })
registerSpillwayMetrics({ store, cache, registry })

const app = express()
// Mounted before the cache: a scrape is never cached, and not counted among the cache's responses.
app.get('/metrics', async (_req, res) => {
  res.set('cache-control', 'no-store').type(registry.contentType).send(await registry.metrics())
})
app.use(cache)
app.get('/products', async (req, res) => {
  await new Promise((resolve) => setTimeout(resolve, ORIGIN_DELAY_MS))
  res.set('cache-control', 'public, max-age=300')
  res.json({ page: Number(req.query.page ?? 1), generatedAt: new Date().toISOString() })
})

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1')
await new Promise<void>((resolve) => server.once('listening', () => resolve()))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

function get(path: string): Promise<{ status: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url + path, { agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => resolve({ status: String(res.headers['cache-status'] ?? ''), body }))
    }).on('error', reject)
  })
}

const statuses: string[] = []
for (let i = 0; i < 4; i++) statuses.push((await get('/products')).status)
const scrape = (await get('/metrics')).body
const spillwayLines = scrape.split('\n').filter((line) => /^spillway_(http_responses_total|http_origin_duration_seconds_(count|sum)|cache_(hits|misses)_total|journals)/.test(line))

if (json) {
  const value = (name: string) => Number(scrape.split('\n').find((line) => line.startsWith(`${name} `))?.split(' ')[1])
  console.log(JSON.stringify({
    statuses,
    responses: Object.fromEntries(['hit', 'stale', 'revalidated', 'miss', 'bypass', 'error'].map((o) => [o, value(`spillway_http_responses_total{outcome="${o}"}`)])),
    originFetches: value('spillway_http_origin_duration_seconds_count'),
    stats: cache.stats().responses,
  }))
} else {
  console.log(`spillway metrics demo, cache in ${dir}`)
  statuses.forEach((status, i) => console.log(`  GET /products #${i + 1}: ${status}`))
  console.log(`GET /metrics (spillway lines, a few of them):\n  ${spillwayLines.join('\n  ')}`)
}

if (process.argv.includes('--demo-only')) {
  server.closeAllConnections()
  server.close()
  await store.close()
} else {
  console.log(`\nserving at ${url}; try: curl -s ${url}/metrics | grep ^spillway_`)
  const stop = () => {
    server.closeAllConnections()
    server.close(() => { store.close().then(() => process.exit(0), () => process.exit(1)) })
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
