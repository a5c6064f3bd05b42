/**
 * The rows of docs/http-conformance.md that the cache's own policy
 * (middleware/core/freshness.ts) decides: what is stored, for how long it is
 * fresh, its Age, stale use, 304 freshening and targeted fields. Each test is
 * named after its rows and runs on every front end, against a real origin on
 * port 0, with the cache's clock injected; the origin writes its Date from
 * that clock where the test depends on it.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import type { ServerResponse } from 'node:http'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'
import { httpDate } from '../../middleware/core/http-date.js'

const T0 = Date.UTC(2026, 0, 1)
const SECOND = 1000

/** An asctime-date (RFC 9110 §5.6.7) of `ms`, which has no zone: GMT by definition. */
function asctime(ms: number): string {
  const d = new Date(ms)
  const [day, month] = [d.toUTCString().slice(0, 3), d.toUTCString().slice(8, 11)]
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${day} ${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()}`
}

function headers(res: ServerResponse, fields: Record<string, string | string[]>): void {
  for (const [name, value] of Object.entries(fields)) res.setHeader(name, value)
}

for (const framework of FRONT_ENDS) describe(`the cache's policy, row by row (${framework})`, () => {
  const start = startOn(framework)

  it('9111-3-8, 9211-2.1-1: a response with a validator and no freshness is stored and revalidated at each use; the 304 answers from the stored body and is no hit', async () => {
    const conditions: Array<string | undefined> = []
    const app = await start({
      '/v': (req, res, n) => {
        conditions.push(req.headers['if-none-match'])
        res.setHeader('etag', '"v1"')
        if (req.headers['if-none-match'] === '"v1"') {
          res.statusCode = 304
          return res.end()
        }
        res.end(`body ${n}`)
      },
    })
    assert.equal((await rawRequest(`${app.url}/v`)).body.toString(), 'body 1')
    const second = await rawRequest(`${app.url}/v`)
    assert.equal(second.status, 200)
    assert.equal(second.body.toString(), 'body 1', 'the stored body, after the origin said 304')
    assert.deepEqual(conditions, [undefined, '"v1"'])
    assert.match(String(second.headers['cache-status']), /fwd=stale; fwd-status=304/)
    assert.ok(!isHit(second), String(second.headers['cache-status']))
  })

  it('9111-3-7: a status that is not heuristically cacheable, with no-cache and an ETag but no explicit freshness, is not stored', async () => {
    const app = await start({
      '/s': (req, res, n) => {
        res.statusCode = Number(req.url!.split('=')[1])
        if (res.statusCode === 302) res.setHeader('location', '/elsewhere')
        headers(res, { 'cache-control': 'no-cache', etag: '"s"' })
        if (req.headers['if-none-match'] !== undefined) {
          res.statusCode = 304
          return res.end()
        }
        res.end(`status ${res.statusCode} #${n}`)
      },
    })
    for (const status of [302, 418, 500]) {
      await rawRequest(`${app.url}/s?status=${status}`)
      const again = await rawRequest(`${app.url}/s?status=${status}`)
      assert.equal(again.status, status, 'no conditional request: nothing was stored to revalidate')
      assert.match(String(again.headers['cache-status']), /fwd=uri-miss/)
    }
  })

  it('9111-3.2-1: a 304 adds the fields it carries, so its Cache-Control: max-age=600 makes a validator-only entry fresh', async () => {
    let now = T0
    const app = await start({
      '/a': (req, res, n) => {
        res.setHeader('etag', '"a"')
        if (req.headers['if-none-match'] === '"a"') {
          headers(res, { 'cache-control': 'max-age=600', 'x-added': 'by the 304' })
          res.statusCode = 304
          return res.end()
        }
        res.end(`a${n}`)
      },
    }, { now: () => now })
    await rawRequest(`${app.url}/a`)
    await rawRequest(`${app.url}/a`)
    now += 60 * SECOND
    const third = await rawRequest(`${app.url}/a`)
    assert.ok(isHit(third), String(third.headers['cache-status']))
    assert.equal(third.body.toString(), 'a1')
    assert.equal(third.headers['x-added'], 'by the 304')
    assert.equal(third.headers['cache-control'], 'max-age=600')
    assert.equal(app.originCalls('/a'), 2)
  })

  it('9111-4-5, 9111-4.2.4-3, 9111-5.2.2.4-1: no-cache beside stale-while-revalidate and stale-if-error is never served without the origin, to max-stale nor on its error', async () => {
    let down = false
    const app = await start({
      '/n': (_req, res, n) => {
        if (down) {
          res.statusCode = 500
          return res.end('origin error')
        }
        headers(res, { 'cache-control': 'no-cache, stale-while-revalidate=600, stale-if-error=600', etag: `"n${n}"` })
        res.end(`checked ${n}`)
      },
    }, { useStaleOnError: 600 })
    await rawRequest(`${app.url}/n`)
    assert.equal((await rawRequest(`${app.url}/n`)).body.toString(), 'checked 2')
    assert.equal((await rawRequest(`${app.url}/n`, { headers: { 'cache-control': 'max-stale' } })).body.toString(), 'checked 3')
    down = true
    const failed = await rawRequest(`${app.url}/n`)
    assert.equal(failed.status, 500)
    assert.equal(failed.body.toString(), 'origin error')
    assert.equal(app.originCalls('/n'), 4)
  })

  it('9111-4.1-5: a response without Vary, for a URL whose responses vary, answers only requests like its own and leaves the variants', async () => {
    const app = await start({
      '/v': (req, res) => {
        const language = req.headers['accept-language']
        res.setHeader('cache-control', 'max-age=600')
        if (language === 'fr') {
          res.setHeader('vary', 'accept-language')
          return res.end('bonjour')
        }
        res.end(`default for ${language}`)
      },
    })
    await rawRequest(`${app.url}/v`, { headers: { 'accept-language': 'fr' } })
    const attacker = await rawRequest(`${app.url}/v`, { headers: { 'accept-language': 'en' } })
    assert.equal(attacker.body.toString(), 'default for en')
    const victim = await rawRequest(`${app.url}/v`, { headers: { 'accept-language': 'fr' } })
    assert.equal(victim.body.toString(), 'bonjour', 'the fr variant survived a response without Vary')
    assert.ok(isHit(victim))
    const other = await rawRequest(`${app.url}/v`, { headers: { 'accept-language': 'de' } })
    assert.equal(other.body.toString(), 'default for de', 'en\'s response is not served to de')
    assert.ok(isHit(await rawRequest(`${app.url}/v`, { headers: { 'accept-language': 'en' } })))
    assert.equal(app.originCalls('/v'), 3)
  })

  it('9111-5.3-1, 9111-4.2-5: an Expires that is no HTTP-date, or not in GMT, is already expired', async () => {
    const now = T0
    const values = ['2099', '2099-01-01', '0', 'Fri, 01 Jan 2100 00:00:00 PST', 'Fri, 01 Jan 2100 00:00:00 +0000', 'fri, 01 jan 2100 00:00:00 gmt']
    const app = await start({
      '/e': (req, res, n) => {
        headers(res, { date: httpDate(now), expires: values[Number(req.url!.split('=')[1])] })
        res.end(`e${n}`)
      },
      '/valid': (_req, res, n) => {
        headers(res, { date: httpDate(now), expires: httpDate(now + 600 * SECOND) })
        res.end(`valid${n}`)
      },
    }, { now: () => now })
    for (let i = 0; i < values.length; i++) {
      await rawRequest(`${app.url}/e?i=${i}`)
      const again = await rawRequest(`${app.url}/e?i=${i}`)
      assert.ok(!isHit(again), `Expires: ${values[i]} was taken as a date`)
    }
    assert.equal(app.originCalls('/e'), 2 * values.length)
    await rawRequest(`${app.url}/valid`)
    assert.ok(isHit(await rawRequest(`${app.url}/valid`)), 'a valid Expires gives freshness')
  })

  it('9111-4.2-4: an asctime Expires is read as GMT, whatever the host\'s time zone', async (t) => {
    const zone = process.env.TZ
    process.env.TZ = 'Pacific/Kiritimati'
    t.after(() => {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    })
    let now = T0
    const app = await start({
      '/a': (_req, res, n) => {
        headers(res, { date: asctime(now), expires: asctime(now + 60 * SECOND) })
        res.end(`a${n}`)
      },
    }, { now: () => now })
    await rawRequest(`${app.url}/a`)
    now += 30 * SECOND
    assert.ok(isHit(await rawRequest(`${app.url}/a`)), 'fresh for its 60 s')
    now += 31 * SECOND
    assert.ok(!isHit(await rawRequest(`${app.url}/a`)), 'and not 14 hours longer')
  })

  it('9110-5.6.7-2: a two-digit RFC 850 year more than 50 years ahead is the past year with those digits', async () => {
    const now = T0
    const app = await start({
      '/y': (req, res, n) => {
        headers(res, { date: httpDate(now), expires: `Friday, 01-Jan-${req.url!.split('=')[1]} 00:00:00 GMT` })
        res.end(`y${n}`)
      },
    }, { now: () => now })
    await rawRequest(`${app.url}/y?yy=75`)
    assert.ok(isHit(await rawRequest(`${app.url}/y?yy=75`)), '-75 is 2075, within 50 years of 2026')
    await rawRequest(`${app.url}/y?yy=77`)
    assert.ok(!isHit(await rawRequest(`${app.url}/y?yy=77`)), '-77 is 1977')
  })

  it('9111-4.2.1-2, 9111-4.2.1-4, 9111-5.2-2: the first of a repeated max-age counts, junk arguments are stale, a quoted comma makes up nothing', async () => {
    let now = T0
    const control: Record<string, string | string[]> = {
      '/twice': 'max-age=1, max-age=86400',
      '/lines': ['max-age=1', 'max-age=86400'],
      '/junk': 'max-age=10abc',
      '/fraction': 'max-age=1.5',
      '/quoted-comma': 'x-ext="a, max-age=600"',
      '/quoted': 'max-age="600"',
    }
    const routes = Object.fromEntries(Object.entries(control).map(([path, value]) => [path, (_req: unknown, res: ServerResponse, n: number) => {
      res.setHeader('cache-control', value)
      res.end(`${path} ${n}`)
    }]))
    const app = await start(routes, { now: () => now })
    for (const path of Object.keys(control)) await rawRequest(`${app.url}${path}`)
    now += 5 * SECOND
    for (const path of Object.keys(control)) {
      const again = await rawRequest(`${app.url}${path}`)
      assert.equal(isHit(again), path === '/quoted', `${path}: ${String(again.headers['cache-status'])}`)
    }
  })

  it('9111-4.2.2-1: immutable gives no freshness of its own, beside an Expires or alone', async () => {
    let now = T0
    const app = await start({
      '/i': (_req, res, n) => {
        headers(res, { 'cache-control': 'immutable', date: httpDate(now), expires: httpDate(now + 60 * SECOND) })
        res.end(`i${n}`)
      },
      '/alone': (_req, res, n) => {
        res.setHeader('cache-control', 'immutable')
        res.end(`alone${n}`)
      },
    }, { now: () => now })
    await rawRequest(`${app.url}/i`)
    await rawRequest(`${app.url}/alone`)
    now += 30 * SECOND
    assert.ok(isHit(await rawRequest(`${app.url}/i`)))
    assert.ok(!isHit(await rawRequest(`${app.url}/alone`)))
    now += 31 * SECOND
    assert.ok(!isHit(await rawRequest(`${app.url}/i`)), 'stale when its Expires passes')
  })

  it('9111-4.2.3-1, 9111-5.1-2: Age counts the origin\'s Age and the response delay; an invalid Age is ignored; a 304 restarts it', async () => {
    let now = T0
    const app = await start({
      '/aged': (_req, res) => { headers(res, { 'cache-control': 'max-age=60', age: '30' }); res.end('aged') },
      '/negative': (_req, res) => { headers(res, { 'cache-control': 'max-age=60', age: '-50' }); res.end('negative') },
      '/fraction': (_req, res) => { headers(res, { 'cache-control': 'max-age=60', age: '1.5' }); res.end('fraction') },
      '/slow': (_req, res) => {
        now += 5 * SECOND
        res.setHeader('cache-control', 'max-age=60')
        res.end('slow')
      },
      '/renewed': (req, res) => {
        headers(res, { 'cache-control': 'max-age=60', etag: '"r"' })
        if (req.headers['if-none-match'] === '"r"') {
          res.statusCode = 304
          return res.end()
        }
        res.setHeader('age', '50')
        res.end('renewed')
      },
    }, { now: () => now })
    // All stored at T0, but /slow: its origin took 5 s, so it was received at T0 + 5 s.
    for (const path of ['/aged', '/negative', '/fraction', '/renewed', '/slow']) await rawRequest(`${app.url}${path}`)
    now += 10 * SECOND
    const age = async (path: string) => Number((await rawRequest(`${app.url}${path}`)).headers.age)
    assert.equal(await age('/aged'), 45, 'its Age 30, and 15 s here')
    assert.equal(await age('/negative'), 15)
    assert.equal(await age('/fraction'), 15)
    assert.equal(await age('/slow'), 15, 'the 5 s the origin took count, then 10 s here')
    assert.equal(await age('/renewed'), 0, 'stale at 50 + 15: revalidated now, and the 304 had no Age')
    now += 10 * SECOND
    assert.equal(await age('/renewed'), 10)
    now += 21 * SECOND
    assert.ok(!isHit(await rawRequest(`${app.url}/aged`)), 'Age 30 + 46 s is past max-age=60')
  })

  it('9111-4.2.4-2: a stale s-maxage entry is not served to max-stale nor by useStaleOnError; its own stale-if-error still applies', async () => {
    let now = T0
    let down = false
    const origin = (control: string) => (_req: unknown, res: ServerResponse, n: number) => {
      if (down) {
        res.statusCode = 503
        return res.end('down')
      }
      res.setHeader('cache-control', control)
      res.end(`v${n}`)
    }
    const app = await start({ '/s': origin('s-maxage=10'), '/sie': origin('s-maxage=10, stale-if-error=600') }, { now: () => now, useStaleOnError: 600 })
    await rawRequest(`${app.url}/s`)
    await rawRequest(`${app.url}/sie`)
    now += 11 * SECOND
    assert.equal((await rawRequest(`${app.url}/s`, { headers: { 'cache-control': 'max-stale=600' } })).body.toString(), 'v2')
    now += 11 * SECOND
    down = true
    assert.equal((await rawRequest(`${app.url}/s`)).status, 503)
    const sie = await rawRequest(`${app.url}/sie`)
    assert.equal(sie.status, 200)
    assert.equal(sie.body.toString(), 'v1')
  })

  it('9111-3-6, 9111-3.5-1: under allowAuthorization, a response to an authenticated request is reused only when public, s-maxage or must-revalidate allow it', async () => {
    const page = (control: string) => (req: { headers: Record<string, unknown> }, res: ServerResponse) => {
      res.setHeader('cache-control', control)
      res.end(`page of ${String(req.headers.authorization ?? 'nobody')}`)
    }
    const app = await start({ '/own': page('max-age=600'), '/public': page('public, max-age=600'), '/shared': page('s-maxage=600'),
      '/revalidate': page('max-age=600, must-revalidate') }, { allowAuthorization: true })
    const attacker = await rawRequest(`${app.url}/own`, { headers: { authorization: 'alice' } })
    assert.equal(attacker.body.toString(), 'page of alice')
    const victim = await rawRequest(`${app.url}/own`, { headers: { authorization: 'bob' } })
    assert.equal(victim.body.toString(), 'page of bob', 'max-age alone does not allow a shared cache to reuse it')
    for (const path of ['/public', '/shared', '/revalidate']) {
      await rawRequest(`${app.url}${path}`, { headers: { authorization: 'alice' } })
      const again = await rawRequest(`${app.url}${path}`, { headers: { authorization: 'bob' } })
      assert.ok(isHit(again), `${path}: ${String(again.headers['cache-status'])}`)
      assert.equal(again.body.toString(), 'page of alice', 'the origin said so explicitly')
    }
  })

  it('9111-4.2.4-4: beside s-maxage, the origin\'s own stale-while-revalidate still serves the stale entry and refreshes it', async () => {
    let now = T0
    const app = await start({ '/s': (_req, res, n) => { res.setHeader('cache-control', 's-maxage=10, stale-while-revalidate=600'); res.end(`v${n}`) } }, { now: () => now })
    await rawRequest(`${app.url}/s`)
    now += 20 * SECOND
    const refreshed = once(app.cache.events, 'refreshed')
    const stale = await rawRequest(`${app.url}/s`)
    assert.equal(stale.body.toString(), 'v1')
    assert.match(String(stale.headers['cache-status']), /hit; ttl=-\d+; detail="stale-while-revalidate"/)
    await refreshed
    assert.equal((await rawRequest(`${app.url}/s`)).body.toString(), 'v2')
  })

  it('9213-2-4, 9213-2-5: in a targeted field, private, no-cache and must-revalidate hold as in Cache-Control, and a decimal max-age gives no freshness', async () => {
    let now = T0
    let down = false
    const route = (targeted: string) => (req: { headers: Record<string, unknown> }, res: ServerResponse, n: number) => {
      if (down) {
        res.statusCode = 503
        return res.end('down')
      }
      headers(res, { 'cache-control': 'public, max-age=600', 'cdn-cache-control': targeted, etag: `"e${n}"` })
      res.end(`${targeted} for ${String(req.headers['x-user'])} #${n}`)
    }
    const app = await start({ '/private': route('private'), '/no-cache': route('no-cache'), '/revalidate': route('max-age=1, must-revalidate'),
      '/decimal': route('max-age=1.5') }, { now: () => now, useStaleOnError: 600 })
    for (const path of ['/private', '/no-cache', '/revalidate', '/decimal']) await rawRequest(`${app.url}${path}`, { headers: { 'x-user': 'alice' } })
    const victim = await rawRequest(`${app.url}/private`, { headers: { 'x-user': 'bob' } })
    assert.match(victim.body.toString(), /for bob/, 'a targeted private kept alice\'s page')
    assert.ok(!isHit(await rawRequest(`${app.url}/no-cache`)), 'a targeted no-cache was served without the origin')
    assert.ok(!isHit(await rawRequest(`${app.url}/decimal`)), 'max-age=1.5 was taken as freshness')
    now += 5 * SECOND
    down = true
    assert.equal((await rawRequest(`${app.url}/revalidate`)).status, 503, 'a targeted must-revalidate entry was served stale')
  })

  it('conditional requests answered from a stale entry once revalidated (issue 13 part 3): a matching If-None-Match gets a 304, and the entry is fresh again', async () => {
    let now = T0
    const app = await start({
      '/r': (req, res, n) => {
        headers(res, { 'cache-control': 'max-age=10', etag: '"v1"' })
        if (String(req.headers['if-none-match'] ?? '').includes('"v1"')) {
          res.statusCode = 304
          return res.end()
        }
        res.end(`body ${n}`)
      },
    }, { now: () => now })
    await rawRequest(`${app.url}/r`)
    now += 20 * SECOND
    const conditional = await rawRequest(`${app.url}/r`, { headers: { 'if-none-match': '"v1"' } })
    assert.equal(conditional.status, 304)
    assert.equal(conditional.body.byteLength, 0)
    assert.equal(conditional.headers.etag, '"v1"')
    assert.equal(app.originCalls('/r'), 2, 'the stale entry was validated')
    const after = await rawRequest(`${app.url}/r`)
    assert.ok(isHit(after), 'the 304 freshened the entry')
    assert.equal(after.body.toString(), 'body 1')
  })

  it('9110-6.6.1-1: a hit carries the origin\'s Date, not the time it is served', async () => {
    let now = T0
    const sent = httpDate(T0 - 5 * SECOND)
    const app = await start({ '/d': (_req, res) => { headers(res, { 'cache-control': 'max-age=600', date: sent }); res.end('d') } }, { now: () => now })
    await rawRequest(`${app.url}/d`)
    now += 100 * SECOND
    const hit = await rawRequest(`${app.url}/d`)
    assert.ok(isHit(hit))
    assert.equal(hit.headers.date, sent)
  })

  it('9213-2-1: the first targeted field with a valid value decides (Spillway-Cache-Control, then CDN-Cache-Control), over Cache-Control and Expires', async () => {
    let now = T0
    const fields: Record<string, Record<string, string>> = {
      '/cdn-stores': { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=600' },
      '/cdn-forbids': { 'cache-control': 'max-age=600', 'cdn-cache-control': 'no-store' },
      '/own-first': { 'spillway-cache-control': 'max-age=5', 'cdn-cache-control': 'max-age=600' },
      '/invalid': { 'cache-control': 'no-store', 'cdn-cache-control': 'Max-Age=600' },
      '/expires-ignored': { 'cdn-cache-control': 'max-age=5', expires: httpDate(T0 + 600 * SECOND), date: httpDate(T0) },
    }
    const routes = Object.fromEntries(Object.entries(fields).map(([path, value]) => [path, (_req: unknown, res: ServerResponse, n: number) => {
      headers(res, value)
      res.end(`${path} ${n}`)
    }]))
    const app = await start(routes, { now: () => now })
    for (const path of Object.keys(fields)) await rawRequest(`${app.url}${path}`)
    now += 6 * SECOND
    const expected: Record<string, boolean> = { '/cdn-stores': true, '/cdn-forbids': false, '/own-first': false, '/invalid': false, '/expires-ignored': false }
    for (const path of Object.keys(fields)) {
      const again = await rawRequest(`${app.url}${path}`)
      assert.equal(isHit(again), expected[path], `${path}: ${String(again.headers['cache-status'])}`)
      if (path === '/cdn-stores') assert.equal(again.headers['cache-control'], 'no-store', 'clients get Cache-Control as the origin sent it')
    }
    const ignoring = await start(routes, { now: () => now, targetedFields: [] })
    await rawRequest(`${ignoring.url}/cdn-stores`)
    assert.ok(!isHit(await rawRequest(`${ignoring.url}/cdn-stores`)), 'targetedFields: [] leaves Cache-Control in charge')
  })

  it('5861-4-2, 5861-4-3: stale-if-error answers 500, 502, 503 and 504 only, and a request\'s own stale-if-error counts', async () => {
    let now = T0
    let failWith = 0
    const app = await start({
      '/e': (req, res, n) => {
        if (failWith !== 0) {
          res.statusCode = failWith
          return res.end(`error ${failWith}`)
        }
        res.setHeader('cache-control', req.url!.includes('sie') ? 'max-age=1, stale-if-error=600' : 'max-age=1')
        res.end(`v${n}`)
      },
    }, { now: () => now })
    await rawRequest(`${app.url}/e?sie`)
    await rawRequest(`${app.url}/e?plain`)
    now += 5 * SECOND
    for (const status of [501, 505, 507]) {
      failWith = status
      assert.equal((await rawRequest(`${app.url}/e?sie`)).status, status, `${status} is no error for stale-if-error`)
    }
    for (const status of [500, 502, 503, 504]) {
      failWith = status
      const res = await rawRequest(`${app.url}/e?sie`)
      assert.equal(res.status, 200, `${status}`)
      assert.equal(res.body.toString(), 'v1')
    }
    failWith = 500
    assert.equal((await rawRequest(`${app.url}/e?plain`)).status, 500)
    const asked = await rawRequest(`${app.url}/e?plain`, { headers: { 'cache-control': 'stale-if-error=60' } })
    assert.equal(asked.status, 200)
    assert.equal(asked.body.toString(), 'v2', 'the second origin call\'s response')
  })

  it('9211-2.2-1: a client\'s no-cache on a fresh entry is forwarded as fwd=request, also when the entry is revalidated', async () => {
    const app = await start({
      '/r': (_req, res, n) => { res.setHeader('cache-control', 'max-age=600'); res.end(`r${n}`) },
      '/e': (req, res, n) => {
        headers(res, { 'cache-control': 'max-age=600', etag: '"e"' })
        if (req.headers['if-none-match'] === '"e"') {
          res.statusCode = 304
          return res.end()
        }
        res.end(`e${n}`)
      },
    })
    await rawRequest(`${app.url}/r`)
    const forwarded = await rawRequest(`${app.url}/r`, { headers: { 'cache-control': 'no-cache' } })
    assert.equal(forwarded.body.toString(), 'r2')
    assert.match(String(forwarded.headers['cache-status']), /fwd=request/)
    await rawRequest(`${app.url}/e`)
    const revalidated = await rawRequest(`${app.url}/e`, { headers: { 'cache-control': 'no-cache' } })
    assert.equal(revalidated.body.toString(), 'e1')
    assert.match(String(revalidated.headers['cache-status']), /fwd=request; fwd-status=304/)
  })

  it('9111-3-3, 9111-5.2.2.3-1: must-understand stores only a status the cache knows, and there stands in for no-store', async () => {
    const app = await start({
      '/odd': (req, res) => { res.statusCode = 299; res.setHeader('cache-control', 'must-understand, max-age=600'); res.end(`odd for ${String(req.headers['x-user'])}`) },
      '/known': (req, res) => { res.setHeader('cache-control', 'must-understand, no-store, max-age=600'); res.end(`known for ${String(req.headers['x-user'])}`) },
    })
    await rawRequest(`${app.url}/odd`, { headers: { 'x-user': 'alice' } })
    const victim = await rawRequest(`${app.url}/odd`, { headers: { 'x-user': 'bob' } })
    assert.equal(victim.body.toString(), 'odd for bob', 'a 299 this cache has no rules for was stored')
    await rawRequest(`${app.url}/known`, { headers: { 'x-user': 'alice' } })
    const again = await rawRequest(`${app.url}/known`, { headers: { 'x-user': 'alice' } })
    assert.ok(isHit(again), 'a 200 with must-understand is stored in spite of no-store')
  })

  it('heuristic freshness (issue 13 part 3): 10 % of the time since Last-Modified, capped at a day, for heuristically cacheable statuses only', async () => {
    let now = T0
    const lastModified = httpDate(T0 - 30 * 24 * 3600 * SECOND)
    const app = await start({
      '/page': (_req, res, n) => { headers(res, { date: httpDate(now), 'last-modified': lastModified }); res.end(`page ${n}`) },
      '/found': (_req, res, n) => { res.statusCode = 302; headers(res, { location: '/page', 'last-modified': lastModified }); res.end(`found ${n}`) },
    }, { now: () => now })
    await rawRequest(`${app.url}/page`)
    await rawRequest(`${app.url}/found`)
    now += 23 * 3600 * SECOND
    assert.ok(isHit(await rawRequest(`${app.url}/page`)), 'fresh under the one-day cap')
    assert.ok(!isHit(await rawRequest(`${app.url}/found`)), '302 is not heuristically cacheable')
    now += 2 * 3600 * SECOND
    assert.ok(!isHit(await rawRequest(`${app.url}/page`)), 'not 3 days (10 % of 30), one at most')
  })

  it('any final status with explicit freshness is reused (issue 13 part 3), 302, 418 and 500 alike', async () => {
    const app = await start({
      '/s': (req, res, n) => {
        res.statusCode = Number(req.url!.split('=')[1])
        res.setHeader('cache-control', 'max-age=600')
        res.end(`status ${res.statusCode} #${n}`)
      },
    })
    for (const status of [302, 418, 500]) {
      const first = await rawRequest(`${app.url}/s?status=${status}`)
      const again = await rawRequest(`${app.url}/s?status=${status}`)
      assert.equal(again.status, status)
      assert.equal(again.body.toString(), first.body.toString())
      assert.ok(isHit(again), `${status}`)
    }
  })
})

