/**
 * RFC 9111 §5 (Age, Cache-Control, Expires) and RFC 9213 §2.2 (targeted
 * fields): the rows of docs/http-conformance.md that had no test, or none of
 * directive names in upper or mixed case, one test each, named after its row,
 * on every front end. Directives are sent in the case given (node:http keeps
 * field values as written); time moves on the injected clock `now`.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import zlib from 'node:zlib'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { isHit, patternBytes, rawRequest } from '../helpers/raw-http.js'

const T0 = 1_700_000_000_000
const counted = (cacheControl: string): Route => (_req, res, n) => { res.setHeader('cache-control', cacheControl); res.end(`n=${n}`) }

for (const framework of FRONT_ENDS) describe(`RFC 9111 §5 header fields and directives, conformance rows (${framework})`, () => {
  const start = startOn(framework)
  const get = async (url: string, cacheControl?: string) =>
    (await rawRequest(url, { headers: cacheControl === undefined ? {} : { 'cache-control': cacheControl } })).body.toString()

  it('9111-5.1-1: a list-based Age ("10, 20", or two field lines) counts as its first member, 10', async () => {
    let now = T0
    const aged = (age: string | string[]): Route => (_req, res, n) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('age', age); res.end(`n=${n}`) }
    const app = await start({ '/one-line': aged('10, 20'), '/two-lines': aged(['10', '20']) }, { now: () => now })
    for (const path of ['/one-line', '/two-lines']) {
      await rawRequest(`${app.url}${path}`)
      const hit = await rawRequest(`${app.url}${path}`)
      assert.ok(isHit(hit), String(hit.headers['cache-status']))
      assert.equal(hit.headers.age, '10', path)
    }
    now += 45_000
    for (const path of ['/one-line', '/two-lines']) {
      const later = await rawRequest(`${app.url}${path}`)
      assert.ok(isHit(later), `${path}: 10 + 45 s is still fresh for 60 s (20 + 45 s would not be): ${String(later.headers['cache-status'])}`)
      assert.equal(later.headers.age, '55')
    }
  })

  it('9111-5.2-3: a request\'s cache directives reach the origin as written, on a miss and on a validation', async () => {
    let now = T0
    const seen: Array<[string | undefined, string | undefined]> = []
    const app = await start({ '/r': (req, res, n) => {
      seen.push([req.headers['cache-control'], req.headers.pragma])
      res.setHeader('cache-control', 'max-age=10')
      res.setHeader('etag', '"v1"')
      res.end(`n=${n}`)
    } }, { now: () => now })
    await rawRequest(`${app.url}/r`, { headers: { 'cache-control': 'No-Cache, X-Ext="A, B"', pragma: 'no-cache' } })
    now += 20_000
    await rawRequest(`${app.url}/r`, { headers: { 'cache-control': 'max-age=5, x-ext=1' } })
    assert.deepEqual(seen, [['No-Cache, X-Ext="A, B"', 'no-cache'], ['max-age=5, x-ext=1', undefined]])
  })

  it('9111-5.2.1.1-1: a request\'s "MAX-AGE=10" refuses an older response; "Max-Age=3600" takes it', async () => {
    let now = T0
    const app = await start({ '/r': counted('max-age=60') }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 30_000
    assert.equal(await get(`${app.url}/r`, 'Max-Age=3600'), 'n=1')
    assert.equal(await get(`${app.url}/r`, 'MAX-AGE=10'), 'n=2', 'older than the client accepts')
    assert.equal(app.originCalls('/r'), 2)
  })

  it('9111-5.2.1.2-1: a request\'s "MAX-STALE" and "Max-Stale=3600" take a stale response; "Max-Stale=5" not one 10 s stale', async () => {
    let now = T0
    const app = await start({ '/r': counted('max-age=10') }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 20_000
    assert.equal(await get(`${app.url}/r`, 'MAX-STALE'), 'n=1')
    assert.equal(await get(`${app.url}/r`, 'Max-Stale=3600'), 'n=1')
    assert.equal(await get(`${app.url}/r`, 'Max-Stale=5'), 'n=2', 'staler than the client accepts')
    assert.equal(app.originCalls('/r'), 2)
  })

  it('9111-5.2.1.3-1: a request\'s "Min-Fresh=50" refuses a response fresh for 30 s more; "MIN-FRESH=50" takes one fresh for 60 s', async () => {
    let now = T0
    const app = await start({ '/r': counted('max-age=60') }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 30_000
    assert.equal(await get(`${app.url}/r`, 'Min-Fresh=50'), 'n=2', 'not fresh enough for min-fresh')
    assert.equal(await get(`${app.url}/r`, 'MIN-FRESH=50'), 'n=2', 'the new response is fresh for 60 s')
    assert.equal(app.originCalls('/r'), 2)
  })

  it('9111-5.2.1.5-1: the response to a request with "No-Store" (or "NO-STORE") is not stored', async () => {
    const app = await start({ '/a': counted('max-age=60'), '/b': counted('max-age=60') })
    for (const [path, noStore] of [['/a', 'No-Store'], ['/b', 'NO-STORE']]) {
      assert.equal(await get(`${app.url}${path}`, noStore), 'n=1')
      assert.equal(await get(`${app.url}${path}`), 'n=2', `the ${noStore} request's response was stored`)
      assert.equal(app.originCalls(path), 2)
    }
  })

  it('9111-5.2.1.6-1: a request\'s no-transform: the stored bytes, coding and type are served exactly as the origin sent them', async () => {
    const binary = patternBytes(4096, 7)
    const gzipped = zlib.gzipSync(Buffer.from('text '.repeat(500)))
    const app = await start({
      '/bin': (_req, res) => { res.setHeader('cache-control', 'max-age=60'); res.setHeader('content-type', 'application/octet-stream'); res.end(binary) },
      '/gz': (_req, res) => {
        res.setHeader('cache-control', 'max-age=60')
        res.setHeader('content-type', 'text/plain')
        res.setHeader('content-encoding', 'gzip')
        res.setHeader('vary', 'Accept-Encoding')
        res.end(gzipped)
      },
    })
    for (const [path, bytes, coding] of [['/bin', binary, undefined], ['/gz', gzipped, 'gzip']] as const) {
      const headers = { 'accept-encoding': 'gzip', 'cache-control': 'no-transform' }
      await rawRequest(`${app.url}${path}`, { headers })
      const hit = await rawRequest(`${app.url}${path}`, { headers })
      assert.ok(isHit(hit), `${path}: ${String(hit.headers['cache-status'])}`)
      assert.ok(hit.body.equals(bytes), `${path}: the bytes changed`)
      assert.equal(hit.headers['content-encoding'], coding)
      assert.equal(hit.headers['content-length'], String(bytes.length))
    }
  })

  it('9111-5.2.2.4-2: no-cache="X-Session, X-Other" (qualified): those fields of one client\'s response never reach another without revalidation', async () => {
    const app = await start({ '/r': (req, res) => {
      res.setHeader('cache-control', 'max-age=60, no-cache="X-Session, X-Other"')
      res.setHeader('x-session', String(req.headers['x-user']))
      res.setHeader('x-other', `other of ${String(req.headers['x-user'])}`)
      res.end('the shared part')
    } })
    await rawRequest(`${app.url}/r`, { headers: { 'x-user': 'alice' } })
    const victim = await rawRequest(`${app.url}/r`, { headers: { 'x-user': 'bob' } })
    assert.equal(victim.body.toString(), 'the shared part')
    assert.notEqual(victim.headers['x-session'], 'alice', 'bob got alice\'s X-Session')
    assert.notEqual(victim.headers['x-other'], 'other of alice', 'bob got alice\'s X-Other')
  })

  it('9111-5.2.2.6-1: a response with no-transform is served (miss and hit) with the origin\'s bytes, type and no coding added', async () => {
    const text = Buffer.from('<p>compressible</p>'.repeat(200))
    const app = await start({ '/page': (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=60, no-transform')
      res.setHeader('content-type', 'text/html; charset=utf-8')
      res.end(text)
    } })
    const headers = { 'accept-encoding': 'gzip, deflate, br' }
    const miss = await rawRequest(`${app.url}/page`, { headers })
    const hit = await rawRequest(`${app.url}/page`, { headers })
    assert.ok(isHit(hit), String(hit.headers['cache-status']))
    for (const res of [miss, hit]) {
      assert.ok(res.body.equals(text), 'the content was transformed')
      assert.equal(res.headers['content-encoding'], undefined)
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8')
    }
  })

  it('9111-5.2.2.9-1: public lets the cache store a response it otherwise could not: a 302 with Last-Modified, heuristically fresh', async () => {
    const now = T0
    const redirect = (cacheControl: string | undefined): Route => (_req, res, n) => {
      res.statusCode = 302
      res.setHeader('location', '/elsewhere')
      if (cacheControl !== undefined) res.setHeader('cache-control', cacheControl)
      res.setHeader('date', new Date(now).toUTCString())
      res.setHeader('last-modified', new Date(now - 10 * 86_400_000).toUTCString())
      res.end(`302 #${n}`)
    }
    const app = await start({ '/public': redirect('public'), '/plain': redirect(undefined) }, { now: () => now, heuristic: true })
    await rawRequest(`${app.url}/public`)
    const stored = await rawRequest(`${app.url}/public`)
    assert.equal(stored.status, 302)
    assert.ok(isHit(stored), String(stored.headers['cache-status']))
    assert.equal(stored.body.toString(), '302 #1')
    await rawRequest(`${app.url}/plain`)
    assert.equal((await rawRequest(`${app.url}/plain`)).body.toString(), '302 #2', 'without public the 302 is not stored')
  })

  it('9111-5.3-2: "Max-Age" or "S-MaxAge" in any case overrides Expires, whether Expires is later or earlier', async () => {
    let now = T0
    const expiring = (cacheControl: string, expiresInMs: number): Route => (_req, res, n) => {
      res.setHeader('cache-control', cacheControl)
      res.setHeader('date', new Date(now).toUTCString())
      res.setHeader('expires', new Date(now + expiresInMs).toUTCString())
      res.end(`n=${n}`)
    }
    const app = await start({
      '/max-age-zero': expiring('Max-Age=0', 3_600_000),
      '/s-maxage-zero': expiring('S-MaxAge=0, max-age=3600', 3_600_000),
      '/max-age-60': expiring('MAX-AGE=60', -3_600_000),
      '/s-maxage-60': expiring('S-Maxage=60', -3_600_000),
    }, { now: () => now })
    for (const path of ['/max-age-zero', '/s-maxage-zero', '/max-age-60', '/s-maxage-60']) await rawRequest(`${app.url}${path}`)
    assert.equal(await get(`${app.url}/max-age-zero`), 'n=2', 'a later Expires kept a Max-Age=0 response fresh')
    assert.equal(await get(`${app.url}/s-maxage-zero`), 'n=2', 'a later Expires (or max-age) kept an S-MaxAge=0 response fresh')
    assert.equal(await get(`${app.url}/max-age-60`), 'n=1', 'an earlier Expires made a MAX-AGE=60 response stale')
    assert.equal(await get(`${app.url}/s-maxage-60`), 'n=1', 'an earlier Expires made an S-Maxage=60 response stale')
    now += 120_000
    assert.equal(await get(`${app.url}/max-age-60`), 'n=2', 'stale after its 60 s')
    assert.equal(await get(`${app.url}/s-maxage-60`), 'n=2', 'stale after its 60 s')
  })

  it('9213-2-3: a targeted field not on the cache\'s target list (Acme-Cache-Control) changes nothing and is passed through', async () => {
    let now = T0
    const targeted = (acme: string): Route => (_req, res, n) => {
      res.setHeader('cache-control', 'max-age=60')
      res.setHeader('acme-cache-control', acme)
      res.end(`n=${n}`)
    }
    const app = await start({ '/no-store': targeted('no-store'), '/longer': targeted('max-age=86400') }, { now: () => now })
    for (const [path, acme] of [['/no-store', 'no-store'], ['/longer', 'max-age=86400']]) {
      const miss = await rawRequest(`${app.url}${path}`)
      const hit = await rawRequest(`${app.url}${path}`)
      assert.ok(isHit(hit), `${path}: ${String(hit.headers['cache-status'])}`)
      assert.equal(hit.body.toString(), 'n=1')
      for (const res of [miss, hit]) assert.equal(res.headers['acme-cache-control'], acme)
    }
    now += 120_000
    assert.equal(await get(`${app.url}/longer`), 'n=2', 'Cache-Control\'s 60 s, not the targeted field\'s day')
  })
})
