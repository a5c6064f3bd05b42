/**
 * A node:cluster worker for the stale-while-revalidate routing test: an
 * Express app with the cache (a directory of its own per worker) in front
 * of /swr/:name, on the port all workers share. Its clock moves when the
 * primary says so. It reports to the primary each origin call, and each
 * background refresh it receives with what the cache did with it.
 */
import cluster from 'node:cluster'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import express from 'express'
import { httpCache } from '../../middleware/express.js'
import { REFRESH_HEADER } from '../../middleware/core/background-refresh.js'

const worker = cluster.worker!.id
let offset = 0
const cache = httpCache({ dir: path.join(process.env.SWR_DIR!, `worker-${worker}`), admission: 'always', now: () => 1_700_000_000_000 + offset })
const app = express()
app.use((req, res, next) => {
  if (req.headers[REFRESH_HEADER] !== undefined) {
    res.on('finish', () => process.send!({ refresh: req.path, worker, cacheStatus: res.getHeader('cache-status'), reachedOrigin: res.locals.reachedOrigin === true }))
  }
  next()
})
app.use(cache)
app.get('/swr/:name', (req, res) => {
  res.locals.reachedOrigin = true
  process.send!({ origin: req.path, worker })
  res.set('cache-control', 'max-age=10, stale-while-revalidate=60').send(`${req.params.name} from worker ${worker}`)
})
process.on('message', (message: { advance?: number; close?: boolean }) => {
  if (message.advance !== undefined) {
    offset += message.advance
    process.send!({ advanced: worker })
  }
  if (message.close === true) {
    server.closeAllConnections()
    server.close(() => void cache.close().then(() => process.exit(0)))
  }
})
const server = app.listen(0, '127.0.0.1') as Server
server.once('listening', () => {
  // Wait until the store is open: until then requests pass through, by design.
  void cache.purgeTag('ready').then(() => process.send!({ listening: (server.address() as AddressInfo).port, worker }))
})
