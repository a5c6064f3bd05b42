/**
 * A store that cannot open (another process holds its directory, say) must
 * say so loudly and once, without DEBUG, and Cache-Status must not suggest
 * it will recover: every request passes through for the life of the process,
 * on every front end.
 */
import assert from 'node:assert/strict'
import { after, describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

for (const framework of FRONT_ENDS) describe(`a store that cannot open (${framework})`, () => {
  it('warns once (a process warning with the store error code), says in Cache-Status that the store failed, and serves every request from the origin', async () => {
    const dir = tempDir('locked')
    // The pread backend keeps its directory to itself: the front end's open is refused whatever its backend.
    const holder = await openStore({ dir, backend: 'pread' })
    after(() => holder.close())
    const warnings: Error[] = []
    const onWarning = (w: Error) => { if (/spillway/i.test(w.message)) warnings.push(w) }
    process.on('warning', onWarning)
    after(() => { process.off('warning', onWarning) })
    const app = await startOn(framework)({ '/a': (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`a${n}`) } },
      { dir }, { openMayFail: true })
    await assert.rejects(app.cache.purgeTag('x'), { code: 'ERR_LOCKED' })
    // The open fails (its promise settles), then the warning is emitted on a later tick.
    await new Promise((resolve) => setImmediate(resolve))
    for (const n of [1, 2]) {
      const res = await rawRequest(`${app.url}/a`)
      assert.equal(res.status, 200)
      assert.equal(res.body.toString(), `a${n}`, 'each request reaches the origin')
      assert.equal(res.headers['cache-status'], 'spillway; fwd=bypass; detail="store failed to open: ERR_LOCKED"')
    }
    assert.equal(app.originCalls('/a'), 2)
    await new Promise((resolve) => setImmediate(resolve))
    assert.equal(warnings.length, 1, warnings.map((w) => w.message).join('\n'))
    assert.match(warnings[0].message, /ERR_LOCKED/)
    assert.ok(warnings[0].message.includes(dir), warnings[0].message)
    assert.equal((warnings[0] as Error & { code?: string }).code, 'ERR_LOCKED')
  })
})
