/**
 * A node:cluster worker for the cross-process coalescing tests: an Express
 * app with the cache on the directory every worker shares (CLUSTER_DIR),
 * listening both on the port the workers share and on a port of its own
 * (so a test can pick the worker). Its origin routes answer only when the
 * primary opens their gate; it reports to the primary each origin call, each
 * request that waits on another's fetch, each stale-while-revalidate
 * refresh it sends, and each entry a refresh stored. Its clock moves when
 * the primary says so.
 */
import cluster from 'node:cluster'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import zlib from 'node:zlib'
import express from 'express'
import { httpCache } from '../../middleware/express.js'

const worker = cluster.worker!.id
let offset = 0
// Waiters wait as long as the test needs: the gates, not a timeout, decide when the origin answers.
const cache = httpCache({ dir: process.env.CLUSTER_DIR!, admission: 'always', lockTimeoutMs: 60_000, now: () => 1_700_000_000_000 + offset })
const gates = new Map<string, { open: Promise<void>; release(): void }>()
function gate(path: string): Promise<void> {
  let entry = gates.get(path)
  if (entry === undefined) {
    let release!: () => void
    const open = new Promise<void>((resolve) => { release = resolve })
    entry = { open, release }
    gates.set(path, entry)
  }
  return entry.open
}
cache.events.on('waiting', (key: string) => process.send!({ waiting: key, worker }))
cache.events.on('refreshing', (key: string) => process.send!({ refreshing: key, worker }))
cache.events.on('refreshed', (key: string) => process.send!({ refreshed: key, worker }))
cache.events.on('stored', (key: string) => process.send!({ stored: key, worker }))

const app = express()
app.use(cache)
app.get('/burst', async (req, res) => {
  process.send!({ origin: req.path, worker })
  await gate(req.path)
  res.set('cache-control', 'max-age=60').send(`burst from worker ${worker}`)
})
app.get('/swr', async (req, res) => {
  process.send!({ origin: req.path, worker })
  if (offset > 0) await gate(req.path)
  res.set('cache-control', 'max-age=10, stale-while-revalidate=60').send(`swr from worker ${worker} at +${offset}`)
})
app.get('/enc', async (req, res) => {
  process.send!({ origin: req.path, worker })
  await gate(req.path)
  res.set('cache-control', 'max-age=60')
  if (/gzip/.test(req.headers['accept-encoding'] ?? '')) res.set('content-encoding', 'gzip').send(zlib.gzipSync(`from worker ${worker}`))
  else res.send(`from worker ${worker}`)
})

app.get('/dies', async (req, res) => {
  process.send!({ origin: req.path, worker })
  await gate(req.path)
  res.set('cache-control', 'max-age=60').send(`from worker ${worker}`)
})

process.on('message', (message: { advance?: number; open?: string; close?: boolean }) => {
  if (message.advance !== undefined) {
    offset += message.advance
    process.send!({ advanced: worker })
  }
  if (message.open !== undefined) {
    void gate(message.open)
    gates.get(message.open)!.release()
  }
  if (message.close === true) {
    for (const server of servers) server.closeAllConnections()
    void Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve)))).then(() => cache.close()).then(() => process.exit(0))
  }
})
const shared = app.listen(0, '127.0.0.1') as Server
// exclusive: a handle of this worker's own, not the one the primary shares out.
const own = app.listen({ port: 0, host: '127.0.0.1', exclusive: true }) as Server
const servers = [shared, own]
void Promise.all(servers.map((server) => new Promise((resolve) => server.once('listening', resolve))))
  // The store is open once a purge resolves: until then requests pass through, by design.
  .then(() => cache.purgeTag('ready'))
  .then(() => process.send!({ listening: (shared.address() as AddressInfo).port, own: (own.address() as AddressInfo).port, worker }))
