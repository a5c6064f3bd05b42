/**
 * Bad input: malformed Cache-Control (request and response), malformed Vary,
 * malformed Range and If-Range, malformed If-None-Match and If-Modified-Since,
 * header values of several KB, malformed query strings, methods the cache
 * does not know, and clients that give up mid-response. None may throw, wedge
 * a request, or earn a 5xx from the cache: each request gets a sensible
 * answer within a bounded time (every request here fails after 3 s), and the
 * server goes on serving.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { OutgoingHttpHeaders } from 'node:http'
import { FRAMEWORKS, startApp, type Route, type TestApp } from '../helpers/http-apps.js'
import { abortAfterFirstChunk, isHit, rawRequest, rawSocketRequest, rawStatus, type RawResponse } from '../helpers/raw-http.js'

const TIMEOUT = 3000
const SIZE = 1000
const BODY = Buffer.from(Array.from({ length: SIZE }, (_, i) => String.fromCharCode(33 + ((i * 31) % 90))).join(''), 'latin1')
const ETAG = '"v1"'
const LAST_MODIFIED = 'Wed, 01 Jan 2020 00:00:00 GMT'
const KB7 = 7 * 1024

function fixed(headers: OutgoingHttpHeaders): Route {
  return (req, res) => {
    res.setHeader('content-type', 'text/plain')
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) res.setHeader(name, value)
    res.end(req.method === 'HEAD' ? undefined : BODY)
  }
}

const slowBody = Buffer.alloc(64 * 1024, 'z')
const routes: Record<string, Route> = {
  '/data': fixed({ 'cache-control': 'public, max-age=600', etag: ETAG, 'last-modified': LAST_MODIFIED }),
  '/weak': fixed({ 'cache-control': 'public, max-age=600', etag: 'W/"w1"', 'last-modified': LAST_MODIFIED }),
  '/cold': fixed({ 'cache-control': 'public, max-age=600', etag: ETAG, 'last-modified': LAST_MODIFIED }),
  '/bad-cc': fixed({ 'cache-control': 'max-age=abc, ,,, s-maxage=-5' }),
  '/bad-cc-junk': fixed({ 'cache-control': '=,;;==, max-age, public=, ,' }),
  '/bad-cc-quoted': fixed({ 'cache-control': 'max-age="60", s-maxage="abc"' }),
  '/huge-max-age': fixed({ 'cache-control': 'public, max-age=99999999999999999999' }),
  '/long-cc': fixed({ 'cache-control': `public, max-age=600, x-ext="${'a'.repeat(KB7)}"` }),
  '/long-tags': fixed({ 'cache-control': 'public, max-age=600', 'surrogate-key': Array.from({ length: 1000 }, (_, i) => `t${String(i).padStart(5, '0')}`).join(' ') }),
  '/vary-empty': fixed({ 'cache-control': 'public, max-age=600', vary: ', , ,' }),
  '/vary-holes': fixed({ 'cache-control': 'public, max-age=600', vary: ',,Accept-Language,, ,X-Thing,' }),
  '/vary-star': fixed({ 'cache-control': 'public, max-age=600', vary: 'Accept-Encoding, *' }),
  '/vary-junk': fixed({ 'cache-control': 'public, max-age=600', vary: '@@, "quoted", a b, ;;' }),
  '/vary-long': fixed({ 'cache-control': 'public, max-age=600', vary: Array.from({ length: 600 }, (_, i) => `x-h${i}`).join(', ') }),
  '/slow': (_req, res) => {
    res.setHeader('content-type', 'application/octet-stream')
    res.setHeader('cache-control', 'public, max-age=600')
    let at = 0
    let timer: NodeJS.Timeout | undefined
    const tick = () => {
      if (res.destroyed) return
      if (at + 2048 >= slowBody.byteLength) return void res.end(slowBody.subarray(at))
      res.write(slowBody.subarray(at, at + 2048))
      at += 2048
      timer = setTimeout(tick, 5)
    }
    res.once('close', () => clearTimeout(timer))
    tick()
  },
}

/** Checks a response to a Range request against the full body: a 200 with all of it, a 206 with the slice its Content-Range names, or a 416. */
function assertRangeAnswer(res: RawResponse, range: string): void {
  const what = `Range ${JSON.stringify(range.length > 60 ? `${range.slice(0, 60)}…` : range)}`
  assert.ok([200, 206, 416].includes(res.status), `${what}: status ${res.status}`)
  if (res.status === 200) {
    assert.ok(res.body.equals(BODY), `${what}: a 200 without the whole body`)
  } else if (res.status === 206) {
    const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(res.headers['content-range']))
    assert.ok(m !== null, `${what}: 206 with Content-Range ${String(res.headers['content-range'])}`)
    const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])]
    assert.equal(size, SIZE, `${what}: complete length`)
    assert.ok(start <= end && end < SIZE, `${what}: impossible range ${start}-${end}`)
    assert.ok(res.body.equals(BODY.subarray(start, end + 1)), `${what}: body is not bytes ${start}-${end}`)
    assert.equal(res.headers['content-length'], String(end - start + 1))
  } else {
    assert.equal(res.headers['content-range'], `bytes */${SIZE}`, `${what}: 416 Content-Range`)
  }
}

function assertNot5xx(res: RawResponse, what: string): void {
  assert.ok(res.status >= 200 && res.status < 500, `${what}: status ${res.status}`)
}

for (const framework of FRAMEWORKS) {
  // Started at the top level, not in a before() hook: startApp registers its own after(close), and node:test
  // runs an after() registered inside a before() hook as soon as that hook returns.
  const app: TestApp = await startApp(routes, {}, framework)

  describe(`bad input (${framework})`, () => {
    const get = (route: string, headers: OutgoingHttpHeaders = {}, method = 'GET') =>
      rawRequest(app.url + route, { method, headers, timeoutMs: TIMEOUT })

    before(async () => {
      // Warm the entries the request-side cases are served from.
      for (const route of ['/data', '/weak']) {
        await get(route)
        assert.ok(isHit(await get(route)), `${route} did not warm up`)
      }
    })
    after(async () => {
      await app.close()
    })

    describe('malformed Cache-Control', () => {
      it('in the response: "max-age=abc, ,,, s-maxage=-5" and other junk pass through and are not served from the cache', async () => {
        for (const route of ['/bad-cc', '/bad-cc-junk', '/bad-cc-quoted']) {
          for (let n = 1; n <= 2; n++) {
            const res = await get(route)
            assert.equal(res.status, 200, route)
            assert.ok(res.body.equals(BODY), route)
          }
        }
        // Invalid delta-seconds give no freshness (RFC 9111 §1.2.2, §4.2.1): both requests went to the origin.
        assert.equal(app.originCalls('/bad-cc'), 2)
        assert.equal(app.originCalls('/bad-cc-junk'), 2)
      })

      it('in the response: a max-age past 2^31 is stored as if it were 2^31 (RFC 9111 §1.2.2)', async () => {
        const first = await get('/huge-max-age')
        assert.equal(first.status, 200)
        const second = await get('/huge-max-age')
        assert.equal(second.status, 200)
        assert.ok(second.body.equals(BODY))
        assert.equal(app.originCalls('/huge-max-age'), 1, `not served from the cache; errors so far: ${app.cache.stats().errors}`)
      })

      it('in the request: junk directives get a 200 with the body, from the cache or the origin', async () => {
        for (const cc of ['max-age=abc, ,,, s-maxage=-5', 'no-cache=,,', 'min-fresh=-1', 'min-fresh=abc', 'max-stale=abc', ',,,', '=',
          'max-age=99999999999999999999', 'max-age=-1', 'only-if-cached=1x', `max-age=600, x="${'b'.repeat(KB7)}"`]) {
          const res = await get('/data', { 'cache-control': cc })
          assert.equal(res.status, 200, `Cache-Control ${cc.slice(0, 60)}`)
          assert.ok(res.body.equals(BODY), `Cache-Control ${cc.slice(0, 60)}`)
        }
      })
    })

    describe('malformed Vary', () => {
      it('empty members, junk tokens, a long list and "*" pass through with the body, and the sane ones are cached', async () => {
        for (const route of ['/vary-empty', '/vary-holes', '/vary-star', '/vary-junk', '/vary-long']) {
          for (let n = 1; n <= 2; n++) {
            const res = await get(route, { 'accept-language': 'en, fr;q=0.5' })
            assert.equal(res.status, 200, route)
            assert.ok(res.body.equals(BODY), route)
          }
        }
        // Vary: * never matches (RFC 9111 §4.1).
        assert.equal(app.originCalls('/vary-star'), 2)
        // Same request headers twice: the second is a hit.
        assert.equal(app.originCalls('/vary-holes'), 1)
        assert.equal(app.originCalls('/vary-empty'), 1)
      })

      it('request values for varied fields that are empty, odd or 7 KB get their own correct answers', async () => {
        for (const value of ['', ',,,', ' ; ', 'ÿþ', 'x'.repeat(KB7)]) {
          const res = await get('/vary-holes', { 'accept-language': value, 'x-thing': value })
          assert.equal(res.status, 200)
          assert.ok(res.body.equals(BODY))
        }
      })
    })

    describe('malformed Range', () => {
      const ranges = ['bytes=abc', 'bytes=5-2', 'items=1-2', 'bytes=99999999999999999999-', 'bytes=0-99999999999999999999',
        'bytes=-99999999999999999999', `bytes=${'9'.repeat(400)}-`, 'bytes=1e3-', 'bytes=0x10-0x20', 'bytes=0-0,-1', 'bytes=', 'bytes=-',
        'bytes=-0', 'bytes=--1', 'bytes=1000-', 'bytes=999-', 'bytes=0-', ' bytes = 1 - 2 ', 'BYTES=1-2', 'bytes=1-2,', `bytes=${'1-2,'.repeat(1500)}3-4`,
        `bytes=${'0'.repeat(KB7)}1-2`, 'bytes=\t1-2', '=1-2', ',']

      it('on a cached 200: each gets a 200 with the whole body, a 206 with the slice it names, or a 416', async () => {
        const calls = app.originCalls('/data')
        for (const range of ranges) assertRangeAnswer(await get('/data', { range }), range)
        assert.equal(app.originCalls('/data'), calls, 'a Range request went to the origin')
      })

      it('a valid range still gets its 206, and an invalid last-before-first range is not served as a slice', async () => {
        const res = await get('/data', { range: 'bytes=1-2' })
        assert.equal(res.status, 206)
        assert.equal(res.body.toString('latin1'), BODY.subarray(1, 3).toString('latin1'))
        const backwards = await get('/data', { range: 'bytes=5-2' })
        assert.notEqual(backwards.status, 206)
        const huge = await get('/data', { range: 'bytes=99999999999999999999-' })
        assert.equal(huge.status, 416)
      })

      it('on a miss: the origin\'s full answer comes through', async () => {
        for (const range of ['bytes=abc', 'bytes=5-2', 'bytes=99999999999999999999-']) {
          const res = await get('/cold', { range })
          assertRangeAnswer(res, range)
        }
      })

      it('If-Range junk sends the whole body; If-Range with the strong ETag sends the range', async () => {
        for (const ifRange of ['garbage', '"v2"', 'W/', '', `"${'q'.repeat(KB7)}"`, 'Mon, 99 Foo 2024 99:99:99 GMT']) {
          const res = await get('/data', { range: 'bytes=0-9', 'if-range': ifRange })
          assert.equal(res.status, 200, `If-Range ${ifRange.slice(0, 40)}`)
          assert.ok(res.body.equals(BODY))
        }
        const matching = await get('/data', { range: 'bytes=0-9', 'if-range': ETAG })
        assert.equal(matching.status, 206)
        assertRangeAnswer(matching, 'bytes=0-9')
      })

      it('If-Range with a weak entity tag never matches: the whole body (RFC 9110 §13.1.5)', async () => {
        const res = await get('/weak', { range: 'bytes=0-9', 'if-range': 'W/"w1"' })
        assert.equal(res.status, 200, 'a weak If-Range validator was used to send a partial response')
        assert.ok(res.body.equals(BODY))
      })
    })

    describe('malformed conditional requests', () => {
      it('junk If-None-Match gets the full 200', async () => {
        for (const inm of ['garbage', '"', 'W/', ',,,', '*garbage', '"v1', 'v1', 'W/"v2", ,', ' , "', `"${'z'.repeat(KB7)}"`]) {
          const res = await get('/data', { 'if-none-match': inm })
          assert.equal(res.status, 200, `If-None-Match ${inm.slice(0, 40)}`)
          assert.ok(res.body.equals(BODY))
        }
      })

      it('matching If-None-Match still gets its 304 (the junk above was really evaluated)', async () => {
        for (const inm of [ETAG, `W/${ETAG}`, `"x", ${ETAG}`, '*']) {
          const res = await get('/data', { 'if-none-match': inm })
          assert.equal(res.status, 304, `If-None-Match ${inm}`)
          assert.equal(res.body.byteLength, 0)
        }
      })

      it('an If-Modified-Since that is no date at all gets the full 200', async () => {
        for (const ims of ['yesterday', '', 'Mon, 99 Foo 2024 99:99:99 GMT', '99999999999999999', 'Sat, 01 Jan 2000 00:00:00 GMT garbage', `${'9'.repeat(KB7)}`]) {
          const res = await get('/data', { 'if-modified-since': ims })
          assert.equal(res.status, 200, `If-Modified-Since ${ims.slice(0, 40)}`)
          assert.ok(res.body.equals(BODY))
        }
        const valid = await get('/data', { 'if-modified-since': 'Fri, 01 Jan 2099 00:00:00 GMT' })
        assert.equal(valid.status, 304, 'a valid If-Modified-Since after Last-Modified')
      })

      it('an If-Modified-Since that is not an HTTP-date, even if Date.parse() reads one into it, is ignored (RFC 9110 §13.1.3)', async () => {
        for (const ims of ['2099', 'garbage 2099', '12345']) {
          const res = await get('/data', { 'if-modified-since': ims })
          assert.equal(res.status, 200, `If-Modified-Since ${JSON.stringify(ims)} is not an HTTP-date and must be ignored; got ${res.status}`)
          assert.ok(res.body.equals(BODY))
        }
      })
    })

    describe('oversized header values (7 KB, under Node\'s 16 KB limit)', () => {
      it('in the request: Cache-Control, Accept-Encoding, If-None-Match, Range and a custom header', async () => {
        const big = 'y'.repeat(KB7)
        for (const headers of [{ 'cache-control': `max-age=600, ${big}` }, { 'accept-encoding': `gzip;q=0.5, ${big}` }, { 'if-none-match': big },
          { range: `bytes=0-${big}` }, { 'x-pad': big }, { cookie: big }, { authorization: `Bearer ${big}` }] as OutgoingHttpHeaders[]) {
          const res = await get('/data', headers)
          assert.ok(res.status === 200 || res.status === 206 || res.status === 416, `${Object.keys(headers)[0]}: status ${res.status}`)
          if (res.status === 200) assert.ok(res.body.equals(BODY))
        }
      })

      it('in the response: a 7 KB Cache-Control and a 7 KB Surrogate-Key are stored and served back', async () => {
        for (const route of ['/long-cc', '/long-tags']) {
          const first = await get(route)
          assert.equal(first.status, 200)
          const second = await get(route)
          assert.equal(second.status, 200)
          assert.ok(second.body.equals(BODY))
          assert.equal(app.originCalls(route), 1, `${route} was not cached`)
        }
        assert.equal(await app.cache.purgeTag('t00999'), 1, 'the last of 1000 tags was not recorded')
        await get('/long-tags')
        assert.equal(app.originCalls('/long-tags'), 2)
      })
    })

    describe('odd URLs and methods', () => {
      it('malformed query strings and percent-escapes get a non-5xx answer', async () => {
        for (const path of ['/data?%zz', '/data?a=%E0%A4%A', '/data?&&&=&==', `/data?${'a'.repeat(KB7)}`, '/data?x=1&x=2&x=', '/data?a[b]=1&a[c]=2',
          '/data?__proto__=1&constructor=2', '/data/%E0%A4%A', '/%', '/data?;;;']) {
          const res = await get(path)
          assertNot5xx(res, path.slice(0, 40))
        }
      })

      it('unknown and WebDAV methods reach the origin, get its answer, and invalidate the URL; OPTIONS does not (9111-4.4-1)', async () => {
        for (const method of ['PURGE', 'PROPFIND', 'MKCOL', 'LOCK', 'UNLINK', 'SEARCH', 'REPORT', 'OPTIONS']) {
          const before = app.originCalls('/data')
          // None is known to be safe but OPTIONS (RFC 9110 §9.2.1): its 200 invalidates the URL (RFC 9111 §4.4).
          const invalidated = method === 'OPTIONS' ? undefined : once(app.cache.events, 'invalidated', { signal: AbortSignal.timeout(TIMEOUT) })
          const res = await get('/data', {}, method)
          assert.equal(res.status, 200, method)
          assert.ok(res.body.equals(BODY), method)
          assert.equal(app.originCalls('/data'), before + 1, `${method} did not reach the origin`)
          await invalidated
          const next = await get('/data')
          assert.ok(next.body.equals(BODY), method)
          assert.equal(isHit(next), method === 'OPTIONS', `${method}: ${String(next.headers['cache-status'])}`)
          if (method !== 'OPTIONS') assert.ok(isHit(await get('/data')), `${method}: /data not stored again`)
        }
      })

      it('a method Node\'s parser does not know (FOO) gets a 4xx from Node, and the server goes on', async () => {
        const answer = await rawSocketRequest(app.url, 'FOO /data HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', TIMEOUT)
        const status = rawStatus(answer)
        assert.ok(status >= 400 && status < 500, `FOO got ${JSON.stringify(answer.slice(0, 40))}`)
        const res = await get('/data')
        assert.equal(res.status, 200)
      })

      it('an HTTP/1.0 request without Host gets the body', async () => {
        const answer = await rawSocketRequest(app.url, 'GET /data HTTP/1.0\r\n\r\n', TIMEOUT)
        assert.equal(rawStatus(answer), 200, answer.slice(0, 80))
        assert.ok(answer.endsWith(BODY.toString('latin1')), 'HTTP/1.0 response lacks the body')
      })
    })

    describe('clients that give up', () => {
      it('a client that aborts mid-response leaves the server working, and the URL is fetched afresh', async () => {
        const partial = await abortAfterFirstChunk(app.url + '/slow', {}, TIMEOUT)
        assert.ok(partial.body.byteLength < slowBody.byteLength)
        // Meanwhile and afterwards, other requests are answered.
        const other = await get('/data')
        assert.equal(other.status, 200)
        assert.ok(other.body.equals(BODY))
        const full = await get('/slow')
        assert.equal(full.status, 200)
        assert.ok(full.body.equals(slowBody))
        assert.equal(app.originCalls('/slow'), 2)
      })

      it('many aborted requests at once, racing a normal one for the same URL: the normal one is answered in full', async () => {
        // A fresh URL (a new query) so the race is on a miss, with request coalescing in play.
        const url = '/slow?race=1'
        const aborts = Array.from({ length: 5 }, () => abortAfterFirstChunk(app.url + url, {}, TIMEOUT).catch(() => undefined))
        const normal = get(url)
        await Promise.all(aborts)
        const res = await normal
        assert.equal(res.status, 200)
        assert.ok(res.body.equals(slowBody))
      })
    })
  })
}
