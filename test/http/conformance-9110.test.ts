/**
 * RFC 9110 (fields, dates, conditional and range requests, 204 and 304) as
 * a cache that answers from stored responses must follow it: the rows of
 * docs/http-conformance.md that had no test, one test each, named after its
 * row, on every front end. Raw sockets where node:http would hide what is
 * tested (a Content-Length line on a 204 or 304).
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest, rawSocketRequest, rawStatus } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000
const DAY = 86_400_000
const BODY = 'abcdefghijklmnopqrstuvwxyz'
const LAST_MODIFIED = 'Mon, 01 Jan 2024 00:00:00 GMT'
const doc: Route = (req, res) => {
  res.setHeader('cache-control', 'max-age=60')
  res.setHeader('etag', '"v1"')
  res.setHeader('last-modified', LAST_MODIFIED)
  res.setHeader('content-type', 'text/plain')
  res.end(req.method === 'HEAD' ? undefined : BODY)
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const two = (n: number) => String(n).padStart(2, '0')
const clock = (d: Date) => `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`
/** The three HTTP-date forms of RFC 9110 §5.6.7. */
const FORMATS: Record<string, (ms: number) => string> = {
  'IMF-fixdate': (ms) => new Date(ms).toUTCString(),
  'RFC 850': (ms) => {
    const d = new Date(ms)
    return `${WEEKDAYS[d.getUTCDay()]}, ${two(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${two(d.getUTCFullYear() % 100)} ${clock(d)} GMT`
  },
  asctime: (ms) => {
    const d = new Date(ms)
    return `${WEEKDAYS[d.getUTCDay()].slice(0, 3)} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)} ${d.getUTCFullYear()}`
  },
}

/** The header lines of a raw response, names lower-cased. */
function headerLines(raw: string): Array<[string, string]> {
  return raw.split('\r\n\r\n')[0].split('\r\n').slice(1).map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()]
  })
}

for (const framework of FRONT_ENDS) describe(`RFC 9110 for a cache, conformance rows (${framework})`, () => {
  const start = startOn(framework)
  const get = (url: string, headers: Record<string, string> = {}, method = 'GET') => rawRequest(url, { headers, method })

  it('9110-5.3-1: repeated field lines keep their meaning from the cache: values joined in order, both Vary lines apply, Set-Cookie lines stay apart', async () => {
    const app = await start({
      '/multi': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('x-multi', ['a', 'b']); res.end('multi') },
      '/vary': (req, res) => {
        res.setHeader('cache-control', 'max-age=60')
        res.setHeader('vary', ['Accept-Language', 'X-Tenant'])
        res.end(`${String(req.headers['accept-language'])} for ${String(req.headers['x-tenant'])}`)
      },
    })
    await get(`${app.url}/multi`)
    const multi = await get(`${app.url}/multi`)
    assert.ok(isHit(multi), String(multi.headers['cache-status']))
    assert.equal(multi.headers['x-multi'], 'a, b')
    await get(`${app.url}/vary`, { 'accept-language': 'en', 'x-tenant': 'alice' })
    const victim = await get(`${app.url}/vary`, { 'accept-language': 'en', 'x-tenant': 'bob' })
    assert.equal(victim.body.toString(), 'en for bob', 'the second Vary line was dropped: bob got alice\'s page')
    const cookies = await start({ '/c': (_req, res) => { res.setHeader('cache-control', 'public, max-age=60'); res.setHeader('set-cookie', ['a=1', 'b=2']); res.end('c') } },
      { allowSetCookie: true })
    await get(`${cookies.url}/c`)
    const hit = await get(`${cookies.url}/c`)
    assert.ok(isHit(hit), String(hit.headers['cache-status']))
    assert.deepEqual(hit.headers['set-cookie'], ['a=1', 'b=2'])
  })

  it('9110-5.6.7-1: all three HTTP-date forms are accepted, in Expires and in If-Modified-Since', async () => {
    let now = T0
    const routes: Record<string, Route> = { '/doc': doc }
    for (const [name, format] of Object.entries(FORMATS)) {
      routes[`/${name.replace(/\W/g, '')}`] = (_req, res, n) => {
        res.setHeader('date', FORMATS['IMF-fixdate'](now))
        res.setHeader('expires', format(now + 2 * DAY))
        res.end(`${name} #${n}`)
      }
    }
    const app = await start(routes, { now: () => now })
    const paths = Object.keys(FORMATS).map((name) => `/${name.replace(/\W/g, '')}`)
    for (const path of paths) await get(`${app.url}${path}`)
    for (const path of paths) assert.ok(isHit(await get(`${app.url}${path}`)), `${path}: fresh until its Expires`)
    now += 4 * DAY
    for (const path of paths) assert.match((await get(`${app.url}${path}`)).body.toString(), / #2$/, `${path}: stale after its Expires`)
    await get(`${app.url}/doc`)
    for (const [name, format] of Object.entries(FORMATS)) {
      assert.equal((await get(`${app.url}/doc`, { 'if-modified-since': format(Date.parse(LAST_MODIFIED) + 4 * DAY) })).status, 304, name)
      assert.equal((await get(`${app.url}/doc`, { 'if-modified-since': format(Date.parse(LAST_MODIFIED) - 4 * DAY) })).status, 200, name)
    }
    assert.equal(app.originCalls('/doc'), 1)
  })

  it('9110-8.6-1: no Content-Length on a 204 from the cache; on a 304 none, or the 200\'s', async () => {
    const app = await start({ '/empty': (_req, res) => { res.statusCode = 204; res.setHeader('cache-control', 'max-age=60'); res.end() }, '/doc': doc })
    const { host } = new URL(app.url)
    await get(`${app.url}/empty`)
    await get(`${app.url}/doc`)
    const noContent = await rawSocketRequest(app.url, `GET /empty HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)
    assert.equal(rawStatus(noContent), 204)
    assert.match(noContent, /cache-status: [^\r]*hit/i)
    assert.deepEqual(headerLines(noContent).filter(([name]) => name === 'content-length' || name === 'transfer-encoding'), [])
    const notModified = await rawSocketRequest(app.url, `GET /doc HTTP/1.1\r\nHost: ${host}\r\nIf-None-Match: "v1"\r\nConnection: close\r\n\r\n`)
    assert.equal(rawStatus(notModified), 304)
    const lengths = headerLines(notModified).filter(([name]) => name === 'content-length' || name === 'transfer-encoding')
    assert.ok(lengths.length === 0 || (lengths.length === 1 && lengths[0][0] === 'content-length' && lengths[0][1] === String(BODY.length)), JSON.stringify(lengths))
    assert.equal(app.originCalls(), 2)
  })

  it('9110-13.1.3-1: If-Modified-Since is ignored when the request has If-None-Match', async () => {
    const app = await start({ '/doc': doc })
    await get(`${app.url}/doc`)
    const later = FORMATS['IMF-fixdate'](Date.parse(LAST_MODIFIED) + DAY)
    const earlier = FORMATS['IMF-fixdate'](Date.parse(LAST_MODIFIED) - DAY)
    const changed = await get(`${app.url}/doc`, { 'if-none-match': '"v0"', 'if-modified-since': later })
    assert.equal(changed.status, 200, 'If-None-Match "v0" does not match: the date would have said 304')
    assert.equal(changed.body.toString(), BODY)
    assert.equal((await get(`${app.url}/doc`, { 'if-none-match': '"v1"', 'if-modified-since': earlier })).status, 304, 'the date would have said 200')
    assert.equal(app.originCalls('/doc'), 1)
  })

  it('9110-13.1.5-1: If-Range without Range is ignored: the whole 200', async () => {
    const app = await start({ '/doc': doc })
    await get(`${app.url}/doc`)
    for (const ifRange of ['"v1"', '"v0"', LAST_MODIFIED]) {
      const res = await get(`${app.url}/doc`, { 'if-range': ifRange })
      assert.equal(res.status, 200, ifRange)
      assert.equal(res.body.toString(), BODY)
      assert.equal(res.headers['content-range'], undefined)
    }
    assert.equal(app.originCalls('/doc'), 1)
  })

  it('9110-13.2.1-1: preconditions are ignored when the stored response is not a 2xx: a 404 or 301 is sent as it is, never a 304', async () => {
    const stored = (status: number): Route => (_req, res) => {
      res.statusCode = status
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('etag', '"v1"')
      res.setHeader('last-modified', LAST_MODIFIED)
      if (status === 301) res.setHeader('location', '/moved-here')
      res.end(`status ${status}`)
    }
    const app = await start({ '/gone': stored(404), '/moved': stored(301) })
    for (const [path, status] of [['/gone', 404], ['/moved', 301]] as const) {
      await get(`${app.url}${path}`)
      for (const headers of [{ 'if-none-match': '"v1"' }, { 'if-modified-since': FORMATS['IMF-fixdate'](Date.parse(LAST_MODIFIED) + DAY) }] as Array<Record<string, string>>) {
        const res = await get(`${app.url}${path}`, headers)
        assert.equal(res.status, status, `${path} ${JSON.stringify(headers)}`)
        assert.equal(res.body.toString(), `status ${status}`)
        assert.ok(isHit(res), String(res.headers['cache-status']))
      }
    }
  })

  it('9110-13.2.2-1: evaluation order: If-None-Match, then If-Modified-Since, then If-Range with Range', async () => {
    const app = await start({ '/doc': doc })
    await get(`${app.url}/doc`)
    const later = FORMATS['IMF-fixdate'](Date.parse(LAST_MODIFIED) + DAY)
    assert.equal((await get(`${app.url}/doc`, { 'if-none-match': '"v1"', range: 'bytes=0-1' })).status, 304, 'If-None-Match before Range')
    assert.equal((await get(`${app.url}/doc`, { 'if-modified-since': later, range: 'bytes=0-1' })).status, 304, 'If-Modified-Since before Range')
    const partial = await get(`${app.url}/doc`, { 'if-none-match': '"v0"', 'if-modified-since': later, range: 'bytes=0-1', 'if-range': '"v1"' })
    assert.equal(partial.status, 206, 'If-None-Match fails, so If-Modified-Since is skipped, and If-Range holds')
    assert.equal(partial.body.toString(), 'ab')
    const whole = await get(`${app.url}/doc`, { 'if-none-match': '"v0"', range: 'bytes=0-1', 'if-range': '"v0"' })
    assert.equal(whole.status, 200, 'If-Range fails: the whole representation')
    assert.equal(whole.body.toString(), BODY)
    assert.equal(app.originCalls('/doc'), 1)
  })

  it('9110-14.2-1: Range is ignored for HEAD and for a method the cache does not know', async () => {
    const app = await start({ '/doc': (req, res) => {
      if (req.method === 'PROPFIND') { res.statusCode = 207; return void res.end('multi-status') }
      doc(req, res, 0)
    } })
    await get(`${app.url}/doc`)
    const head = await get(`${app.url}/doc`, { range: 'bytes=0-1' }, 'HEAD')
    assert.equal(head.status, 200)
    assert.equal(head.headers['content-range'], undefined)
    assert.equal(head.headers['content-length'], String(BODY.length))
    assert.ok(isHit(head), String(head.headers['cache-status']))
    const unknown = await get(`${app.url}/doc`, { range: 'bytes=0-1' }, 'PROPFIND')
    assert.equal(unknown.status, 207, 'the origin\'s answer, not a 206 from the cache')
    assert.equal(unknown.body.toString(), 'multi-status')
  })

  it('9110-15.4.5-1: a 304 from the cache carries Content-Location, Date, ETag, Vary, Cache-Control and Expires as the 200 would', async () => {
    const app = await start({ '/doc': (_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('expires', 'Thu, 01 Jan 2099 00:00:00 GMT')
      res.setHeader('etag', '"v1"')
      res.setHeader('vary', 'Accept-Language')
      res.setHeader('content-location', '/doc.en')
      res.setHeader('content-type', 'text/plain')
      res.end(BODY)
    } })
    const headers = { 'accept-language': 'en' }
    const full = await get(`${app.url}/doc`, headers)
    const notModified = await get(`${app.url}/doc`, { ...headers, 'if-none-match': '"v1"' })
    assert.equal(notModified.status, 304)
    assert.ok(isHit(notModified), String(notModified.headers['cache-status']))
    for (const name of ['content-location', 'etag', 'vary', 'cache-control', 'expires']) assert.equal(notModified.headers[name], full.headers[name], name)
    assert.ok(notModified.headers.date !== undefined, 'Date')
  })
})
