import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { tempDir } from '../helpers/temp-dir.js'

for (const framework of FRONT_ENDS) describe(`persistence (${framework})`, () => {
  const start = startOn(framework)
  it('serves a hit after the app restarts, with no origin call', async () => {
    const dir = tempDir('restart')
    const route: Route = (_req, res, n) => { res.setHeader('cache-control', 'max-age=600'); res.end(`computed ${n}`) }
    const before = await start({ '/page': route }, { dir })
    // The key includes the Host; a real app's is stable, a test server's port is not.
    assert.equal((await request(before.url).get('/page').set('host', 'app.example')).text, 'computed 1')
    await before.close()
    const after = await start({ '/page': route }, { dir })
    const res = await request(after.url).get('/page').set('host', 'app.example')
    assert.equal(res.text, 'computed 1')
    assert.match(res.headers['cache-status'], /hit/)
    assert.equal(after.originCalls('/page'), 0)
  })
})
