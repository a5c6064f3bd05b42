/**
 * RFC 5861 §3 on a TLS server (docs/http-conformance.md row 5861-3-2): the
 * stale-while-revalidate refresh is a request to the server itself, which
 * must then go over TLS too. Before, a TLS server served the stale entry for
 * the whole window and never refreshed it.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { describe, it } from 'node:test'
import express from 'express'
import { httpCache } from '../../middleware/express.js'
import { selfSignedCertificate } from '../proxy/proxy-process.js'
import { tempDir } from '../helpers/temp-dir.js'

function get(url: string): Promise<{ body: string; cacheStatus: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ body: Buffer.concat(chunks).toString(), cacheStatus: String(res.headers['cache-status']) }))
    }).on('error', reject)
  })
}

describe('stale-while-revalidate on a TLS server', () => {
  const certificate = selfSignedCertificate()
  it('5861-3-2: the stale entry is served at once and refreshed in the background over TLS', { skip: 'skip' in certificate && certificate.skip, timeout: 60_000 }, async (t) => {
    if ('skip' in certificate) return
    let now = 1_700_000_000_000
    let calls = 0
    const cache = httpCache({ dir: tempDir('swr-tls'), admission: 'always', now: () => now })
    const app = express()
    app.use(cache)
    app.get('/swr', (_req, res) => {
      calls++
      res.set('cache-control', 'max-age=10, stale-while-revalidate=60').send(`v${calls}`)
    })
    const server = https.createServer({ key: certificate.key, cert: certificate.cert }, app).listen(0, '127.0.0.1')
    await once(server, 'listening')
    t.after(async () => {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await cache.close()
    })
    const url = `https://localhost:${(server.address() as AddressInfo).port}/swr`
    await cache.purgeTag('ready')
    assert.equal((await get(url)).body, 'v1')
    now += 20_000
    const refreshed = once(cache.events, 'refreshed')
    const stale = await get(url)
    assert.equal(stale.body, 'v1')
    assert.match(stale.cacheStatus, /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    await refreshed
    assert.equal(calls, 2)
    const fresh = await get(url)
    assert.equal(fresh.body, 'v2')
    assert.match(fresh.cacheStatus, /; hit; ttl=/)
  })
})
