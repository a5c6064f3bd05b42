import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'

const counted: Route = (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.end(`n=${n}`) }

for (const framework of FRONT_ENDS) describe(`request directives (RFC 9111 §5.2.1) (${framework})`, () => {
  const start = startOn(framework)
  it('no-cache and Pragma: no-cache go to the origin; max-age, min-fresh and max-stale are honoured', async () => {
    let now = 1_700_000_000_000
    const app = await start({ '/r': counted }, { now: () => now })
    await request(app.url).get('/r')
    assert.equal((await request(app.url).get('/r').set('cache-control', 'no-cache')).text, 'n=2')
    assert.equal((await request(app.url).get('/r').set('pragma', 'no-cache')).text, 'n=3')
    now += 30_000
    assert.equal((await request(app.url).get('/r').set('cache-control', 'max-age=10')).text, 'n=4', 'older than the client accepts')
    now += 30_000
    assert.equal((await request(app.url).get('/r').set('cache-control', 'min-fresh=50')).text, 'n=5', 'not fresh enough for min-fresh')
    now += 70_000
    const stale = await request(app.url).get('/r').set('cache-control', 'max-stale=3600')
    assert.equal(stale.text, 'n=5', 'max-stale accepts the stale entry')
    assert.equal(app.originCalls('/r'), 5)
  })

  it('only-if-cached answers 504 when nothing is cached, and the entry when it is', async () => {
    const app = await start({ '/r': counted })
    const miss = await request(app.url).get('/r').set('cache-control', 'only-if-cached')
    assert.equal(miss.status, 504)
    assert.equal(app.originCalls('/r'), 0)
    await request(app.url).get('/r')
    const hit = await request(app.url).get('/r').set('cache-control', 'only-if-cached')
    assert.equal(hit.status, 200)
    assert.equal(app.originCalls('/r'), 1)
  })

  it('does not store the response to a no-store request', async () => {
    const app = await start({ '/r': counted })
    await request(app.url).get('/r').set('cache-control', 'no-store')
    await request(app.url).get('/r')
    assert.equal(app.originCalls('/r'), 2)
  })
})
