/**
 * A store that cannot open (another process holds its directory, say) must
 * say so loudly and once, without DEBUG, and Cache-Status must not suggest
 * it will recover: every request passes through for the life of the process.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import express5 from 'express'
import { openStore } from '../../src/index.js'
import { httpCache } from '../../middleware/express.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

describe('a store that cannot open', () => {
  it('warns once (a process warning with the store error code) and says in Cache-Status that the store failed', async () => {
    const dir = tempDir('locked')
    // The pread backend keeps its directory to itself: the middleware's open is refused whatever its backend.
    const holder = await openStore({ dir, backend: 'pread' })
    after(() => holder.close())
    const warnings: Error[] = []
    const onWarning = (w: Error) => { if (/spillway/i.test(w.message)) warnings.push(w) }
    process.on('warning', onWarning)
    after(() => { process.off('warning', onWarning) })
    const cache = httpCache({ dir })
    const app = express5()
    app.use(cache)
    app.get('/a', (_req, res) => { res.set('cache-control', 'max-age=60').send('a') })
    const server = app.listen(0, '127.0.0.1') as Server
    after(async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
      await cache.close()
    })
    await once(server, 'listening')
    // The open fails (its promise settles), then the warning is emitted on a later tick.
    await assert.rejects(cache.purgeTag('x'), { code: 'ERR_LOCKED' })
    await new Promise((resolve) => setImmediate(resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/a`
    for (const res of [await rawRequest(url), await rawRequest(url)]) {
      assert.equal(res.body.toString(), 'a')
      assert.equal(res.headers['cache-status'], 'spillway; fwd=bypass; detail="store failed to open: ERR_LOCKED"')
    }
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(warnings.length, 1, warnings.map((w) => w.message).join('\n'))
    assert.match(warnings[0].message, /ERR_LOCKED/)
    assert.ok(warnings[0].message.includes(dir), warnings[0].message)
    assert.equal((warnings[0] as Error & { code?: string }).code, 'ERR_LOCKED')
  })
})
