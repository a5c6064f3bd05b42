/**
 * RFC 9111 §4.3 (validation): the rows of docs/http-conformance.md that had
 * no test, one test each, named after its row, on every front end. The
 * origin routes answer conditionals themselves and record what they were
 * sent; time moves on the injected clock `now`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000
const LAST_MODIFIED = 'Mon, 01 Jan 2024 00:00:00 GMT'

/** Whether an If-None-Match list names `tag` (weak comparison is enough here). */
const names = (ifNoneMatch: string | undefined, tag: string) => (ifNoneMatch ?? '').split(',').some((t) => t.trim().replace(/^W\//, '') === tag)

for (const framework of FRONT_ENDS) describe(`RFC 9111 §4.3 validation, conformance rows (${framework})`, () => {
  const start = startOn(framework)

  it('9111-4.3.1-2: a stored response with Last-Modified (and no ETag) is validated with If-Modified-Since', async () => {
    let now = T0
    const sent: Array<string | undefined> = []
    const app = await start({ '/lm': (req, res, n) => {
      sent.push(req.headers['if-modified-since'])
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('last-modified', LAST_MODIFIED)
      if (req.headers['if-modified-since'] === LAST_MODIFIED) { res.statusCode = 304; return void res.end() }
      res.end(`body ${n}`)
    } }, { now: () => now })
    await rawRequest(`${app.url}/lm`)
    now += 20_000
    const revalidated = await rawRequest(`${app.url}/lm`)
    assert.deepEqual(sent, [undefined, LAST_MODIFIED])
    assert.equal(revalidated.status, 200)
    assert.equal(revalidated.body.toString(), 'body 1')
    assert.ok(isHit(await rawRequest(`${app.url}/lm`)), 'the 304 made the entry fresh again')
    assert.equal(app.originCalls('/lm'), 2)
  })

  it('9111-4.3.2-1: conditionals of a request the cache cannot answer (nothing stored, or no-cache) go to the origin, which answers them', async () => {
    const sent: Array<string | undefined> = []
    const app = await start({ '/d': (req, res) => {
      sent.push(req.headers['if-none-match'])
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('etag', '"v1"')
      if (names(req.headers['if-none-match'], '"v1"')) { res.statusCode = 304; return void res.end() }
      res.end('the body')
    } })
    const miss = await rawRequest(`${app.url}/d`, { headers: { 'if-none-match': '"v1"' } })
    assert.equal(miss.status, 304, 'the origin\'s answer')
    assert.deepEqual(sent, ['"v1"'], 'the client\'s If-None-Match reached the origin unchanged')
    const other = await rawRequest(`${app.url}/d`, { headers: { 'if-none-match': '"v0"' } })
    assert.equal(other.status, 200)
    assert.equal(other.body.toString(), 'the body')
    assert.equal(sent.length, 2, 'nothing was stored by the 304, so the cache could not answer')
    assert.ok(isHit(await rawRequest(`${app.url}/d`)))
    const noCache = await rawRequest(`${app.url}/d`, { headers: { 'if-none-match': '"v1"', 'cache-control': 'no-cache' } })
    assert.equal(sent.length, 3, 'no-cache: the conditional went to the origin')
    assert.ok(names(sent[2], '"v1"'), String(sent[2]))
    assert.equal(noCache.status, 304)
  })

  it('9111-4.3.2-2: If-Match and If-Unmodified-Since are not evaluated by the cache: a hit is no 412', async () => {
    const app = await start({ '/d': (_req, res, n) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('etag', '"v1"')
      res.setHeader('last-modified', LAST_MODIFIED)
      res.end(`body ${n}`)
    } })
    await rawRequest(`${app.url}/d`)
    for (const headers of [{ 'if-match': '"v0"' }, { 'if-unmodified-since': 'Sat, 01 Jan 2000 00:00:00 GMT' }]) {
      const res = await rawRequest(`${app.url}/d`, { headers })
      assert.equal(res.status, 200, JSON.stringify(headers))
      assert.equal(res.body.toString(), 'body 1')
    }
    assert.equal(app.originCalls('/d'), 1)
  })

  it('9111-4.3.2-5: a 304 whose ETag is not in the client\'s list answers the client with a 200 from the stored response', async () => {
    let now = T0
    const app = await start({ '/r': (req, res, n) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"v2"')
      if (names(req.headers['if-none-match'], '"v2"')) { res.statusCode = 304; return void res.end() }
      res.end(`v2 body ${n}`)
    } }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 20_000
    const res = await rawRequest(`${app.url}/r`, { headers: { 'if-none-match': '"v1"' } })
    assert.equal(app.originCalls('/r'), 2, 'the stale entry was validated')
    assert.equal(res.status, 200, 'the client has "v1", not "v2": it needs the body')
    assert.equal(res.body.toString(), 'v2 body 1')
    assert.equal(res.headers.etag, '"v2"')
  })

  it('9111-4.3.3-1: a full response to a validation request is what the client gets, and what is stored', async () => {
    let now = T0
    const sent: Array<string | undefined> = []
    const app = await start({ '/r': (req, res, n) => {
      sent.push(req.headers['if-none-match'])
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', `"v${n}"`)
      res.end(`body ${n}`)
    } }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 20_000
    const validated = await rawRequest(`${app.url}/r`)
    assert.ok(names(sent[1], '"v1"'), `a validation request: ${String(sent[1])}`)
    assert.equal(validated.status, 200)
    assert.equal(validated.body.toString(), 'body 2')
    const hit = await rawRequest(`${app.url}/r`)
    assert.ok(isHit(hit), String(hit.headers['cache-status']))
    assert.equal(hit.body.toString(), 'body 2')
    assert.equal(hit.headers.etag, '"v2"')
  })

  it('9111-4.3.3-3: a fresh entry forwarded for a client\'s no-cache or max-age=0, when the origin answers 5xx, can be sent instead', async () => {
    let down = false
    const app = await start({ '/f': (_req, res, n) => {
      if (down) { res.statusCode = 503; return void res.end('down') }
      res.setHeader('cache-control', 'max-age=60')
      res.end(`f${n}`)
    } })
    await rawRequest(`${app.url}/f`)
    down = true
    for (const cacheControl of ['no-cache', 'max-age=0']) {
      const res = await rawRequest(`${app.url}/f`, { headers: { 'cache-control': cacheControl } })
      assert.equal(res.status, 200, cacheControl)
      assert.equal(res.body.toString(), 'f1')
    }
    assert.equal(app.originCalls('/f'), 3, 'both requests went to the origin first')
  })
})
