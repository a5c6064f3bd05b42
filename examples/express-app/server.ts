/**
 * `npm start`: an Express app whose /products route is deliberately slow (a
 * stand-in for a database or a remote API), with spillway caching it in
 * .cache/express-app inside the project (gitignored).
 *
 * It starts the app on a free port, makes a few requests itself to show two
 * misses (a URL is stored on its second miss: admission 'second-hit'), a
 * hit, and a hit served after a restart of the app, then keeps
 * serving so you can try it (Ctrl-C to stop). With --demo-only it exits
 * after the demonstration.
 */
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import express from 'express'
import { httpCache, type HttpCacheMiddleware } from '../../middleware/express.js'

const dir = path.resolve(process.env.SPILLWAY_DIR ?? '.cache/express-app')
const ORIGIN_DELAY_MS = 300

function createApp(cache: HttpCacheMiddleware): express.Express {
  const app = express()
  app.use(cache)
  app.get('/products', async (req, res) => {
    await new Promise((resolve) => setTimeout(resolve, ORIGIN_DELAY_MS))
    const page = Number(req.query.page ?? 1)
    res.set('cache-control', 'public, max-age=300')
    res.set('surrogate-key', 'products')
    res.json({ page, products: Array.from({ length: 5 }, (_, i) => ({ id: (page - 1) * 5 + i + 1, name: `Product ${(page - 1) * 5 + i + 1}` })), generatedAt: new Date().toISOString() })
  })
  app.post('/products', (_req, res) => {
    // A successful POST invalidates /products: the next GET goes to the origin.
    res.status(201).json({ ok: true })
  })
  app.get('/stats', (_req, res) => res.set('cache-control', 'no-store').json(cache.stats()))
  return app
}

async function start(port = 0): Promise<{ server: Server; cache: HttpCacheMiddleware; url: string }> {
  const cache = httpCache({ dir, maxHeapBytes: 16 * 1024 * 1024 })
  // Rejects (with the store's error, ERR_LOCKED say) if the store cannot open; listening after it, no request passes by the cache.
  await cache.ready
  const server = createApp(cache).listen(port, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  return { server, cache, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

/** A GET on a fresh connection (agent: false): a pooled one would outlive the app's restart. */
async function timedGet(url: string): Promise<string> {
  const started = performance.now()
  const status = await new Promise<string>((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume()
      res.on('end', () => resolve(String(res.headers['cache-status'])))
    }).on('error', reject)
  })
  return `${(performance.now() - started).toFixed(0).padStart(4)} ms  ${status}`
}

let app = await start(Number(process.env.PORT ?? 0))
// The cache key includes the Host; restart on the same port, as a deployed app keeps its host name.
const port = (app.server.address() as AddressInfo).port
console.log(`spillway express demo, cache in ${dir}`)
console.log(`GET /products (origin takes ${ORIGIN_DELAY_MS} ms):`)
console.log(`  1st: ${await timedGet(`${app.url}/products`)}`)
console.log(`  2nd: ${await timedGet(`${app.url}/products`)}   <- stored: the URL's second miss`)
console.log(`  3rd: ${await timedGet(`${app.url}/products`)}`)
app.server.closeAllConnections()
await new Promise((resolve) => app.server.close(resolve))
await app.cache.close()
console.log('app restarted:')
app = await start(port)
console.log(`  4th: ${await timedGet(`${app.url}/products`)}   <- served from disk after the restart`)

if (process.argv.includes('--demo-only')) {
  app.server.closeAllConnections()
  app.server.close()
  await app.cache.close()
} else {
  console.log(`\nserving at ${app.url}; try:`)
  console.log(`  curl -si ${app.url}/products | grep -i -E 'cache-status|age'`)
  console.log(`  curl -s -X POST ${app.url}/products      # invalidates /products`)
  console.log(`  curl -s ${app.url}/stats`)
  console.log('Ctrl-C to stop.')
}
