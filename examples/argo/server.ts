/**
 * `node dist/examples/argo/server.js`: argo 1.0.1 as a reverse proxy in
 * front of a slow origin, with spillway's plugin caching what passes
 * (.cache/argo, or SPILLWAY_DIR).
 *
 * It demonstrates a miss (the origin is called, and takes its time) then a
 * hit (answered from the cache; the origin never hears of it), both read
 * with undici, a strict HTTP/1.1 client. Then it keeps serving (Ctrl-C to
 * stop); --demo-only exits instead; --json prints the figures as one JSON
 * line. PORT sets argo's port (default: a free one).
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import path from 'node:path'
import { request } from 'undici'
import { argoCache, type ArgoApp } from '../../middleware/argo.js'

// argo is CommonJS and ships no types; in JavaScript: `const argo = require('argo')`.
const argo = createRequire(import.meta.url)('argo') as () => ArgoApp

const dir = path.resolve(process.env.SPILLWAY_DIR ?? '.cache/argo')
const ORIGIN_DELAY_MS = 300
const json = process.argv.includes('--json')
const log = (line: string) => { if (!json) console.log(line) }

// The slow origin: a report that takes ORIGIN_DELAY_MS to build, cacheable for 5 minutes.
let originCalls = 0
const origin = http.createServer((req, res) => {
  originCalls++
  setTimeout(() => {
    res.setHeader('cache-control', 'public, max-age=300')
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ report: req.url, builtAt: new Date().toISOString() }))
  }, ORIGIN_DELAY_MS)
})
await listen(origin, 0)
const target = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`

// admission 'always' stores a URL's first response, so the second request is the hit. The default,
// 'second-hit', stores from a URL's second miss on, so that a flood of unique URLs stores nothing.
const cache = argoCache({ dir, admission: 'always' })
await cache.ready // the store is open before the server takes requests
const app = argo().use(cache).target(target)
// argo's own listen() returns the argo instance, not the server: built and served here instead, so the
// demo knows its port and can close it. argo().use(cache).target(url).listen(8080) works the same.
const server = http.createServer(app.build().run)
await listen(server, Number(process.env.PORT ?? 0))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
log(`argo on ${url}, in front of a slow origin (${ORIGIN_DELAY_MS} ms) on ${target}; cache in ${dir}`)

// A URL no earlier run has cached.
const report = `/report?run=${Date.now()}`
const steps = []
for (const step of ['first', 'second']) {
  const started = performance.now()
  const res = await request(`${url}${report}`)
  const body = await res.body.text()
  const ms = Math.round(performance.now() - started)
  const cacheStatus = String(res.headers['cache-status'])
  log(`${step} GET ${report}: ${res.statusCode} in ${ms} ms, cache-status: ${cacheStatus}, origin calls so far: ${originCalls}`)
  steps.push({ status: res.statusCode, cacheStatus, body, originCallsSoFar: originCalls })
}
if (json) console.log(JSON.stringify({ steps, originCalls, stats: cache.stats() }))

if (process.argv.includes('--demo-only')) {
  await stop()
} else {
  log(`\nserving at ${url}; try:`)
  log(`  curl -s -D- -o /dev/null ${url}/report?run=1 | grep -i cache-status   # twice`)
  log('Ctrl-C to stop.')
  process.once('SIGINT', () => void stop())
  process.once('SIGTERM', () => void stop())
}

async function stop(): Promise<void> {
  for (const s of [server, origin]) {
    s.closeAllConnections()
    await new Promise((resolve) => s.close(resolve))
  }
  await cache.close()
}

function listen(s: http.Server, port: number): Promise<void> {
  return new Promise((resolve) => s.listen(port, '127.0.0.1', () => resolve()))
}
