/**
 * RFC 9111 §3 (storing responses): the rows of docs/http-conformance.md that
 * had no test, one test each, named after its row, on every front end. They
 * assert what a client sees (status, body, headers, origin calls), never the
 * policy's internals, so that they hold across a rewrite of the policy.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000

for (const framework of FRONT_ENDS) describe(`RFC 9111 §3 storing, conformance rows (${framework})`, () => {
  const start = startOn(framework)

  it('9111-3-2: only a final status is stored: a 103 Early Hints before the 200 is not what later clients get', async () => {
    const app = await start({ '/early': (_req, res, n) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
      res.setHeader('cache-control', 'max-age=60')
      res.end(`final ${n}`)
    } })
    const first = await rawRequest(`${app.url}/early`)
    assert.equal(first.status, 200)
    const again = await rawRequest(`${app.url}/early`)
    assert.equal(again.status, 200)
    assert.equal(again.body.toString(), 'final 1')
    assert.ok(isHit(again), String(again.headers['cache-status']))
    assert.equal(app.originCalls('/early'), 1)
  })

  it('9111-3-3: a 206 without a strong ETag (which the cache does not store) or a 304 one client got is never served to another; nor a must-understand response of an unknown status', async () => {
    const BODY = 'abcdefghij'
    const app = await start({
      '/partial': (req, res) => {
        res.setHeader('cache-control', 'max-age=60')
        const range = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''))
        if (range === null) return void res.end(BODY)
        res.statusCode = 206
        res.setHeader('content-range', `bytes ${range[1]}-${range[2]}/${BODY.length}`)
        res.end(BODY.slice(Number(range[1]), Number(range[2]) + 1))
      },
      '/conditional': (req, res) => {
        res.setHeader('cache-control', 'max-age=60')
        res.setHeader('etag', '"v1"')
        if (req.headers['if-none-match'] === '"v1"') { res.statusCode = 304; return void res.end() }
        res.end(BODY)
      },
      '/odd': (req, res) => {
        res.statusCode = 299
        res.setHeader('cache-control', 'must-understand, no-store, max-age=60')
        res.end(`odd for ${req.headers['x-user']}`)
      },
    })
    await rawRequest(`${app.url}/partial`, { headers: { range: 'bytes=0-3' } })
    const afterPartial = await rawRequest(`${app.url}/partial`)
    assert.equal(afterPartial.status, 200, 'the 206 was not stored as the URL\'s response')
    assert.equal(afterPartial.body.toString(), BODY)
    await rawRequest(`${app.url}/conditional`, { headers: { 'if-none-match': '"v1"' } })
    const afterNotModified = await rawRequest(`${app.url}/conditional`)
    assert.equal(afterNotModified.status, 200, 'the 304 was not stored as the URL\'s response')
    assert.equal(afterNotModified.body.toString(), BODY)
    const attacker = await rawRequest(`${app.url}/odd`, { headers: { 'x-user': 'alice' } })
    assert.equal(attacker.status, 299)
    const victim = await rawRequest(`${app.url}/odd`, { headers: { 'x-user': 'bob' } })
    assert.equal(victim.body.toString(), 'odd for bob')
    assert.equal(app.originCalls('/odd'), 2)
  })

  it('9111-3.1-4: private="x-user" and no-cache="x-user" (qualified): the field one client\'s response carried is never sent to another', async () => {
    const route = (cacheControl: string): Route => (req, res) => {
      res.setHeader('cache-control', cacheControl)
      res.setHeader('x-user', String(req.headers['x-user']))
      res.end('the shared part')
    }
    const app = await start({ '/private': route('max-age=60, private="x-user"'), '/nocache': route('max-age=60, no-cache="x-user"') })
    for (const path of ['/private', '/nocache']) {
      const attacker = await rawRequest(`${app.url}${path}`, { headers: { 'x-user': 'alice' } })
      assert.equal(attacker.headers['x-user'], 'alice')
      const victim = await rawRequest(`${app.url}${path}`, { headers: { 'x-user': 'bob' } })
      assert.equal(victim.body.toString(), 'the shared part')
      assert.notEqual(victim.headers['x-user'], 'alice', `${path}: bob got alice's X-User`)
    }
  })

  it('9111-3.1-5: trailer fields are never combined with the stored header fields', async () => {
    const app = await start({ '/trailed': (_req, res, n) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('trailer', 'x-checksum')
      res.write(`part one ${n}, `)
      res.addTrailers({ 'x-checksum': 'c0ffee' })
      res.end('part two')
    } })
    await rawRequest(`${app.url}/trailed`)
    const hit = await rawRequest(`${app.url}/trailed`)
    assert.ok(isHit(hit), String(hit.headers['cache-status']))
    assert.equal(hit.body.toString(), 'part one 1, part two')
    assert.equal(hit.headers['x-checksum'], undefined, 'the trailer became a header field')
  })

  it('9111-3.2-2: a 304 does not update Content-Length or Content-Encoding of the stored response', async () => {
    let now = T0
    const route = (notModifiedHeaders: Record<string, string>): Route => (req, res) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, notModifiedHeaders)
        return void res.end()
      }
      res.setHeader('content-type', 'text/plain')
      res.end('abcdef')
    }
    const app = await start({
      '/legal': route({ 'content-length': '6' }),
      '/bogus': route({ 'content-length': '999', 'content-encoding': 'gzip' }),
    }, { now: () => now })
    for (const path of ['/legal', '/bogus']) {
      await rawRequest(`${app.url}${path}`)
      now += 20_000
      const revalidated = await rawRequest(`${app.url}${path}`)
      assert.equal(app.originCalls(path), 2, `${path}: the stale entry was revalidated`)
      const hit = await rawRequest(`${app.url}${path}`)
      assert.ok(isHit(hit), String(hit.headers['cache-status']))
      for (const res of [revalidated, hit]) {
        assert.equal(res.status, 200)
        assert.equal(res.body.toString(), 'abcdef')
        assert.equal(res.headers['content-length'], '6')
        assert.equal(res.headers['content-encoding'], undefined, `${path}: the 304's Content-Encoding relabelled the stored bytes`)
      }
    }
  })

  it('9111-3.2-2: a field the 304\'s own Connection names does not replace the stored field of that name', async () => {
    let now = T0
    const app = await start({ '/r': (req, res) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"v1"')
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304, { connection: 'x-hop', 'x-hop': 'from the 304' })
        return void res.end()
      }
      res.setHeader('x-hop', 'stored')
      res.end('abcdef')
    } }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 20_000
    const revalidated = await rawRequest(`${app.url}/r`)
    assert.equal(app.originCalls('/r'), 2, 'the stale entry was revalidated')
    const hit = await rawRequest(`${app.url}/r`)
    assert.ok(isHit(hit), String(hit.headers['cache-status']))
    for (const res of [revalidated, hit]) assert.equal(res.headers['x-hop'], 'stored')
  })
})
