/**
 * Every path that serves a stored response (a hit, a stale fallback when the
 * origin fails, a coalesced waiter, a revalidated entry) serves it only to a
 * request it matches as a fresh lookup would: same key, same Vary-selected
 * fields, an acceptable content-coding (DESIGN.md, "Rules that keep a cache
 * honest"; RFC 9111 §4, §4.1). Also the RFC details of issue 10 F.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import zlib from 'node:zlib'
import { describe, it } from 'node:test'
import request from 'supertest'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { rawRequest, rawSocketRequest } from '../helpers/raw-http.js'
import { acceptsCoding } from '../../middleware/core/vary.js'
import { entityTags, ifNoneMatchHolds, notModifiedSelects } from '../../middleware/core/validators.js'

const T0 = 1_700_000_000_000

for (const framework of FRONT_ENDS) describe(`one match for every serving path (issue 10 B) (${framework})`, () => {
  const start = startOn(framework)
  it('Vary values that differ only in case are different variants (X-Tenant: Acme is not acme), also in an outage', async () => {
    let now = T0
    let down = false
    const app = await start({ '/t': (req, res) => {
      if (down) { res.statusCode = 503; res.end('down'); return }
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('vary', 'X-Tenant')
      res.end(`tenant ${req.headers['x-tenant']}`)
    } }, { now: () => now, useStaleOnError: 600 })
    assert.equal((await request(app.url).get('/t').set('x-tenant', 'Acme')).text, 'tenant Acme')
    assert.equal((await request(app.url).get('/t').set('x-tenant', 'acme')).text, 'tenant acme')
    assert.equal(app.originCalls('/t'), 2)
    now += 20_000
    down = true
    const outage = await request(app.url).get('/t').set('x-tenant', 'ACME')
    assert.equal(outage.status, 503, 'no stored variant for ACME: the error goes through')
  })

  it('after a 304 revalidated one variant, an outage never serves it to another variant', async () => {
    let now = T0
    let down = false
    const app = await start({ '/v': (req, res) => {
      if (down) { res.statusCode = 503; res.end('down'); return }
      const lang = req.headers['accept-language'] ?? 'none'
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('vary', 'Accept-Language')
      res.setHeader('etag', `"${lang}"`)
      if (req.headers['if-none-match'] === `"${lang}"`) { res.statusCode = 304; res.end(); return }
      res.end(`page in ${lang}`)
    } }, { now: () => now, useStaleOnError: 600 })
    await request(app.url).get('/v').set('accept-language', 'fr')
    await request(app.url).get('/v').set('accept-language', 'en')
    now += 20_000
    const revalidated = await request(app.url).get('/v').set('accept-language', 'fr')
    assert.equal(revalidated.text, 'page in fr')
    now += 20_000
    down = true
    const outage = await request(app.url).get('/v').set('accept-language', 'en')
    assert.notEqual(outage.text, 'page in fr', 'an en client never gets the French page')
    assert.equal(outage.text, 'page in en', 'its own stale variant stands in')
  })
})

for (const framework of FRONT_ENDS) describe(`RFC details (issue 10 F) (${framework})`, () => {
  const start = startOn(framework)
  it('a 304 answering the client\'s own If-None-Match does not update the stored entry (RFC 9111 §4.3.4)', async () => {
    let now = T0
    let version = 'v1'
    const app = await start({ '/r': (req, res) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', `"${version}"`)
      if ((req.headers['if-none-match'] ?? '').includes(`"${version}"`)) { res.statusCode = 304; res.end(); return }
      res.setHeader('content-type', 'text/plain')
      res.end(`${version} body`)
    } }, { now: () => now })
    await request(app.url).get('/r')
    version = 'v2'
    now += 20_000
    const own = await rawRequest(`${app.url}/r`, { headers: { 'if-none-match': '"v2"' } })
    assert.equal(own.status, 304, 'the client\'s own validator matched')
    // A client that takes stale content sees the entry as stored: still v1, whole.
    const stale = await request(app.url).get('/r').set('cache-control', 'max-stale=3600')
    assert.equal(stale.text, 'v1 body')
    assert.equal(stale.headers.etag, '"v1"')
    assert.match(stale.headers['content-type'], /text\/plain/)
  })

  it('a 304 whose ETag is not the entry\'s still answers an unconditional client with the body, and updates nothing', async () => {
    let now = T0
    const app = await start({ '/odd': (req, res) => {
      res.setHeader('cache-control', 'max-age=10')
      if (req.headers['if-none-match'] !== undefined) { res.setHeader('etag', '"other"'); res.statusCode = 304; res.end(); return }
      res.setHeader('etag', '"v1"')
      res.end('v1 body')
    } }, { now: () => now })
    await request(app.url).get('/odd')
    now += 20_000
    const answered = await rawRequest(`${app.url}/odd`)
    assert.equal(answered.status, 200)
    assert.equal(answered.body.toString(), 'v1 body')
    assert.equal(answered.headers.etag, '"v1"')
    await rawRequest(`${app.url}/odd`)
    assert.equal(app.originCalls('/odd'), 3, 'the entry was not renewed by a 304 that did not select it')
  })

  it('keeps the entry\'s tags through a 304 revalidation', async () => {
    let now = T0
    const app = await start({ '/tagged': (req, res) => {
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"x"')
      res.setHeader('surrogate-key', 'section')
      if (req.headers['if-none-match'] === '"x"') { res.statusCode = 304; res.end(); return }
      res.end('tagged')
    } }, { now: () => now })
    await request(app.url).get('/tagged')
    now += 20_000
    assert.match((await request(app.url).get('/tagged')).headers['cache-status'], /fwd-status=304/)
    assert.equal(await app.cache.purgeTag('section'), 1)
  })

  it('does not store a body shorter than its Content-Length (RFC 9112 §6.3)', async () => {
    const app = await start({ '/short': (_req, res) => {
      res.writeHead(200, { 'cache-control': 'max-age=60', 'content-length': '100' })
      res.end(Buffer.alloc(50, 'x'))
    } })
    const { port } = new URL(app.url)
    await rawSocketRequest(app.url, `GET /short HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, 500)
    await rawSocketRequest(app.url, `GET /short HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`, 500)
    assert.equal(app.originCalls('/short'), 2)
  })

  for (const directive of ['must-revalidate', 'proxy-revalidate']) {
    it(`${directive}: fresh is a hit; stale is never served on an origin error or to max-stale (RFC 9111 §5.2.2.2, §5.2.2.8)`, async () => {
      let now = T0
      let down = false
      const app = await start({ '/m': (_req, res, n) => {
        if (down) { res.statusCode = 503; res.end('down'); return }
        res.setHeader('cache-control', `max-age=10, stale-if-error=600, ${directive}`)
        res.end(`m${n}`)
      } }, { now: () => now, useStaleOnError: 600 })
      await request(app.url).get('/m')
      assert.equal((await request(app.url).get('/m')).text, 'm1')
      assert.equal(app.originCalls('/m'), 1, `a fresh ${directive} entry is served`)
      now += 20_000
      down = true
      assert.equal((await request(app.url).get('/m')).status, 503)
      assert.equal((await request(app.url).get('/m').set('cache-control', 'max-stale=3600')).status, 503)
    })
  }

  it('Accept-Encoding "gzip;q=0, *" refuses gzip: the explicit q=0 outranks *', async () => {
    assert.equal(acceptsCoding('gzip;q=0, *', 'gzip'), false)
    assert.equal(acceptsCoding('*;q=0, gzip', 'gzip'), true)
    assert.equal(acceptsCoding('*', 'br'), true)
    const app = await start({ '/z': (req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      if (/gzip/.test(req.headers['accept-encoding'] ?? '') && !/gzip;q=0/.test(req.headers['accept-encoding'] ?? '')) {
        res.setHeader('content-encoding', 'gzip')
        res.end(zlib.gzipSync('zipped'))
        return
      }
      res.end('plain')
    } })
    await rawRequest(`${app.url}/z`, { headers: { 'accept-encoding': 'gzip' } })
    const refusing = await rawRequest(`${app.url}/z`, { headers: { 'accept-encoding': 'gzip;q=0, *' } })
    assert.equal(refusing.headers['content-encoding'], undefined)
    assert.equal(refusing.body.toString(), 'plain')
  })

  it('purge and Location invalidation find the normalised key (unsorted query, relative Location)', async () => {
    const app = await start({
      '/search': (_req, res, n) => { res.setHeader('cache-control', 'max-age=600'); res.end(`s${n}`) },
      '/items/1': (_req, res, n) => { res.setHeader('cache-control', 'max-age=600'); res.end(`i${n}`) },
      '/items/new': (_req, res) => { res.statusCode = 201; res.setHeader('location', '1?b=2&a=1'); res.end() },
    })
    const host = new URL(app.url).host
    await request(app.url).get('/search?a=1&b=2')
    assert.equal(await app.cache.purge('/search?b=2&a=1', host), 1)
    assert.equal((await request(app.url).get('/search?a=1&b=2')).text, 's2')
    await request(app.url).get('/items/1?a=1&b=2')
    const invalidated = once(app.cache.events, 'invalidated')
    await request(app.url).post('/items/new')
    await invalidated
    assert.equal((await request(app.url).get('/items/1?a=1&b=2')).text, 'i2')
  })

  it('a pipelined PUT then GET on one socket gets the post-PUT body', async () => {
    const app = await start({ '/p': (req, res, n) => {
      if (req.method === 'PUT') { res.statusCode = 204; res.end(); return }
      res.setHeader('cache-control', 'max-age=600')
      res.end(`p${n}`)
    } })
    await request(app.url).get('/p')
    const { port } = new URL(app.url)
    const host = `127.0.0.1:${port}`
    const raw = await rawSocketRequest(app.url,
      `PUT /p HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 0\r\n\r\nGET /p HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    assert.match(raw, /p3$/, 'the GET after the PUT went to the origin')
  })

  it('If-None-Match: * matches an entry without an ETag; an ETag with a comma matches itself (RFC 9110 §13.1.2)', async () => {
    const app = await start({
      '/noetag': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.end('x') },
      '/comma': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('etag', '"a,b"'); res.end('y') },
    })
    await request(app.url).get('/noetag')
    await request(app.url).get('/comma')
    assert.equal((await rawRequest(`${app.url}/noetag`, { headers: { 'if-none-match': '*' } })).status, 304)
    assert.equal((await rawRequest(`${app.url}/comma`, { headers: { 'if-none-match': '"a,b"' } })).status, 304)
    assert.equal((await rawRequest(`${app.url}/comma`, { headers: { 'if-none-match': '"a", "b"' } })).status, 200)
  })

  it('Cache-Status ttl is the freshness left, without the stale-while-revalidate window (RFC 9211 §2.4)', async () => {
    const app = await start({ '/s': (_req, res) => { res.setHeader('cache-control', 'max-age=1, stale-while-revalidate=30'); res.end('s') } }, { now: () => T0 })
    await request(app.url).get('/s')
    assert.match((await request(app.url).get('/s')).headers['cache-status'], /hit; ttl=1(;|$)/)
  })

  it('a Vary header set as an array (res.append) leaves the entry servable', async () => {
    const app = await start({ '/va': (_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('vary', ['Accept-Language', 'X-Theme'])
      res.end('varied')
    } })
    await request(app.url).get('/va').set('accept-language', 'en')
    const again = await request(app.url).get('/va').set('accept-language', 'en')
    assert.match(again.headers['cache-status'], /hit/)
    assert.equal(app.cache.stats().errors, 0)
    assert.equal((await request(app.url).get('/va').set('accept-language', 'en').set('x-theme', 'dark')).headers['cache-status'].includes('hit'), false)
  })
})

for (const framework of FRONT_ENDS) describe(`a colliding Host never reaches another URL's request (issue 10 B) (${framework})`, () => {
  const start = startOn(framework)
  it('an entry stored through Host "victim.test/admin" is not a stale fallback for victim.test/admin/public', async () => {
    let now = T0
    let down = false
    const app = await start({ '/public': (_req, res) => { res.setHeader('cache-control', 'max-age=10'); res.end('planted') },
      '/admin/public': (_req, res) => {
        if (down) { res.statusCode = 503; res.end('down'); return }
        res.setHeader('cache-control', 'max-age=10')
        res.end('admin page')
      } }, { now: () => now, useStaleOnError: 600 })
    await rawRequest(`${app.url}/public`, { headers: { host: 'victim.test/admin' } })
    now += 20_000
    down = true
    const victim = await rawRequest(`${app.url}/admin/public`, { headers: { host: 'victim.test' } })
    assert.notEqual(victim.body.toString(), 'planted')
  })
})

describe('entity-tag lists and 304 selection (RFC 9110 §8.8.3, RFC 9111 §4.3.4)', () => {
  it('reads tags with commas inside, weak tags, and *', () => {
    assert.deepEqual(entityTags('W/"a", "b,c" ,"d"'), ['W/"a"', '"b,c"', '"d"'])
    assert.equal(entityTags(' * '), '*')
    assert.equal(ifNoneMatchHolds('"x", W/"a"', '"a"'), true)
    assert.equal(ifNoneMatchHolds('"b"', undefined), false)
    assert.equal(ifNoneMatchHolds('*', undefined), true)
  })

  it('9111-4.3.4-1: a 304 selects the stored response by its strong ETag (strong comparison), else its weak ETag (weak comparison), else Last-Modified, else only a stored response without validators (RFC 9111 §4.3.4)', () => {
    assert.equal(notModifiedSelects({ etag: '"v1"' }, { etag: 'W/"v1"' }), true)
    assert.equal(notModifiedSelects({ etag: 'W/"v1"' }, { etag: '"v1"' }), false, 'a strong ETag selects only the same strong ETag')
    assert.equal(notModifiedSelects({ etag: '"v1"' }, { etag: '"v2"' }), false)
    assert.equal(notModifiedSelects({ 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }, { 'last-modified': 'Mon, 01 Jan 2024 00:00:00 GMT' }), true)
    assert.equal(notModifiedSelects({ etag: '"v1"' }, {}), false, 'a 304 without validators never selects a stored response that has one')
    assert.equal(notModifiedSelects({}, {}), true)
  })
})
