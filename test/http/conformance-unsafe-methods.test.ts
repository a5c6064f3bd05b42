/**
 * RFC 9111 §4.4 (invalidation) and §4.3.5 (freshening with HEAD), rows of
 * docs/http-conformance.md. Before these fixes only POST, PUT, DELETE and
 * PATCH invalidated: after a successful PURGE, MKCOL, LOCK or a method no
 * registry knows, the old entry was served on; and a HEAD 200 that said the
 * resource had changed left the stored GET response to be served stale.
 * Methods go out through node:http's client, which sends them as given.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startApp, startOn, type Route, type TestApp } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'
import type { HttpCacheControls } from '../../middleware/core/http-cache.js'

const T0 = 1_700_000_000_000
/** How long an invalidation that should follow a response may take before the test fails. */
const NEVER_MS = 5000

/** Registered in Node's parser (so they reach the cache), none known to be safe (RFC 9110 §9.2.1). */
const NOT_SAFE = ['PURGE', 'MKCOL', 'LOCK', 'UNLOCK', 'UNLINK', 'COPY', 'MOVE', 'PROPPATCH', 'BIND', 'REBIND', 'UNBIND', 'LINK',
  'MKACTIVITY', 'MKCALENDAR', 'CHECKOUT', 'MERGE', 'NOTIFY', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACL', 'SOURCE', 'POST', 'PUT', 'DELETE', 'PATCH']

/** GET: stored for 600 s, counted in the body; any other method: the origin's `answer` (200 by default). */
function resource(answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end('done')): Route {
  return (req, res, n) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      res.setHeader('cache-control', 'max-age=600')
      res.end(req.method === 'GET' ? `${req.url} n=${n}` : undefined)
      return
    }
    answer(req, res)
  }
}

/** Every key the cache invalidates from now on, and a wait for the one whose key ends with `path`. */
function watchInvalidations(cache: HttpCacheControls): { keys: string[]; of(path: string): Promise<void> } {
  const keys: string[] = []
  const waiters: Array<{ path: string; resolve(): void }> = []
  cache.events.on('invalidated', (key: string) => {
    keys.push(key)
    for (const w of waiters.splice(0)) {
      if (key.endsWith(w.path)) w.resolve()
      else waiters.push(w)
    }
  })
  return {
    keys,
    // A bound on failure, not a wait for time: an invalidation that never comes fails the test instead of hanging it.
    of: (path) => new Promise<void>((resolve, reject) => {
      if (keys.some((k) => k.endsWith(path))) return resolve()
      const timer = setTimeout(() => reject(new Error(`${path} was not invalidated within ${NEVER_MS} ms`)), NEVER_MS)
      waiters.push({ path, resolve: () => { clearTimeout(timer); resolve() } })
    }),
  }
}

async function assertStored(app: TestApp, path: string, why: string): Promise<string> {
  await rawRequest(`${app.url}${path}`)
  const again = await rawRequest(`${app.url}${path}`)
  assert.ok(isHit(again), `${why}: ${path} is not stored (${String(again.headers['cache-status'])})`)
  return again.body.toString()
}

for (const framework of FRONT_ENDS) describe(`invalidation by any method not known to be safe (${framework})`, () => {
  const start = startOn(framework)

  it('9111-4.4-1: after a successful PURGE, MKCOL, LOCK… (every method not known to be safe) the next GET reaches the origin, never the old entry', async () => {
    const app = await start({ '/doc': resource() })
    const seen = watchInvalidations(app.cache)
    for (const method of NOT_SAFE) {
      const before = await assertStored(app, '/doc', method)
      const res = await rawRequest(`${app.url}/doc`, { method })
      assert.equal(res.status, 200, method)
      await seen.of('/doc')
      seen.keys.length = 0
      const next = await rawRequest(`${app.url}/doc`)
      assert.ok(!isHit(next), `${method}: the old entry was served after it (${String(next.headers['cache-status'])})`)
      assert.notEqual(next.body.toString(), before, method)
    }
  })

  it('9111-4.4-2: a 3xx is a non-error answer and invalidates; a 4xx or 5xx invalidates nothing; a safe OPTIONS or TRACE invalidates nothing', async () => {
    const app = await start({
      '/moved': resource((_req, res) => { res.statusCode = 303; res.setHeader('location', '/moved'); res.end() }),
      '/refused': resource((req, res) => { res.statusCode = req.method === 'LOCK' ? 423 : 500; res.end('no') }),
      '/safe': resource(),
      '/marker': resource(),
    })
    const seen = watchInvalidations(app.cache)
    const moved = await assertStored(app, '/moved', 'before MOVE')
    assert.equal((await rawRequest(`${app.url}/moved`, { method: 'MOVE' })).status, 303)
    await seen.of('/moved')
    assert.notEqual((await rawRequest(`${app.url}/moved`)).body.toString(), moved, 'a 303 to MOVE left the entry')

    const refused = await assertStored(app, '/refused', 'before the refusals')
    const safe = await assertStored(app, '/safe', 'before OPTIONS')
    await assertStored(app, '/marker', 'before the marker')
    for (const method of ['LOCK', 'PURGE']) assert.ok((await rawRequest(`${app.url}/refused`, { method })).status >= 400, method)
    for (const method of ['OPTIONS', 'TRACE']) assert.equal((await rawRequest(`${app.url}/safe`, { method })).status, 200, method)
    // A later invalidation that does happen: any the requests above set off came first.
    assert.equal((await rawRequest(`${app.url}/marker`, { method: 'PURGE' })).status, 200)
    await seen.of('/marker')
    assert.deepEqual(seen.keys.filter((k) => k.endsWith('/refused') || k.endsWith('/safe')), [])
    for (const [path, body] of [['/refused', refused], ['/safe', safe]]) {
      const res = await rawRequest(`${app.url}${path}`)
      assert.ok(isHit(res), `${path} was invalidated (${String(res.headers['cache-status'])})`)
      assert.equal(res.body.toString(), body)
    }
  })

  it('9111-4.4-3: an unknown method\'s same-origin Location and Content-Location are invalidated, a Location on another origin is not', async () => {
    const app = await start({
      '/collection': resource((_req, res) => {
        res.statusCode = 201
        res.setHeader('location', 'http://elsewhere.test/listed')
        res.setHeader('content-location', '/created')
        res.end()
      }),
      '/created': resource(),
      '/listed': resource(),
    })
    const seen = watchInvalidations(app.cache)
    for (const path of ['/collection', '/created', '/listed']) await assertStored(app, path, 'before MKCOL')
    assert.equal((await rawRequest(`${app.url}/collection`, { method: 'MKCOL' })).status, 201)
    // The target URI first, then Location, then Content-Location (invalidation.ts): a wrong one for Location came before.
    await seen.of('/created')
    assert.ok(seen.keys.some((k) => k.endsWith('/collection')), seen.keys.join(' '))
    for (const path of ['/collection', '/created']) assert.ok(!isHit(await rawRequest(`${app.url}${path}`)), `${path} was not invalidated`)
    assert.ok(isHit(await rawRequest(`${app.url}/listed`)), 'a Location on another origin invalidated this one\'s /listed')
  })

  it('9111-4.4-1: a method no registry knows (FOO, set by a method override before the cache) invalidates too, and a lower-case "get" is not GET',
    { skip: framework !== 'express5' && 'Node\'s parser answers FOO with a 400 before any front end (bad-input.test.ts); only Express has middleware before the cache in the same process' },
    async () => {
      const override = (req: IncomingMessage, _res: ServerResponse, next: () => void) => {
        const method = req.headers['x-http-method-override']
        if (typeof method === 'string') req.method = method
        next()
      }
      const app = await startApp({ '/doc': resource() }, {}, framework, [override])
      const seen = watchInvalidations(app.cache)
      for (const method of ['FOO', 'get']) {
        const before = await assertStored(app, '/doc', method)
        const res = await rawRequest(`${app.url}/doc`, { method: 'POST', headers: { 'x-http-method-override': method } })
        assert.equal(res.status, 200, method)
        await seen.of('/doc')
        seen.keys.length = 0
        assert.notEqual((await rawRequest(`${app.url}/doc`)).body.toString(), before, `${method} left the entry`)
      }
    })
})

for (const framework of FRONT_ENDS) describe(`a HEAD 200 that contradicts the stored GET response (${framework})`, () => {
  const start = startOn(framework)
  /** An origin that ignores conditionals (so a HEAD gets a 200): ETag, Last-Modified and length as `state` says. */
  const changing = (state: { etag: string; modified: string; length: number }): Route => (req, res, n) => {
    res.setHeader('cache-control', 'max-age=60')
    res.setHeader('etag', state.etag)
    res.setHeader('last-modified', state.modified)
    res.setHeader('content-length', String(state.length))
    res.end(req.method === 'HEAD' ? undefined : `${n}`.padEnd(state.length, '.'))
  }
  const JAN = 'Wed, 01 Jan 2025 00:00:00 GMT'
  const FEB = 'Sat, 01 Feb 2025 00:00:00 GMT'

  it('9111-4.3.5-1: a forwarded HEAD whose ETag, Last-Modified or Content-Length differ invalidates the stored GET response', async () => {
    const state = (): { etag: string; modified: string; length: number } => ({ etag: '"1"', modified: JAN, length: 10 })
    const states = { '/etag': state(), '/modified': state(), '/length': state() }
    const changes = { '/etag': () => { states['/etag'].etag = '"2"' }, '/modified': () => { states['/modified'].modified = FEB }, '/length': () => { states['/length'].length = 12 } }
    const app = await start({ '/etag': changing(states['/etag']), '/modified': changing(states['/modified']), '/length': changing(states['/length']) })
    const seen = watchInvalidations(app.cache)
    for (const path of ['/etag', '/modified', '/length'] as const) {
      const stored = await assertStored(app, path, 'before HEAD')
      changes[path]()
      const head = await rawRequest(`${app.url}${path}`, { method: 'HEAD', headers: { 'cache-control': 'no-cache' } })
      assert.equal(head.status, 200, path)
      await seen.of(path)
      const next = await rawRequest(`${app.url}${path}`)
      assert.ok(!isHit(next), `${path}: the contradicted entry was served (${String(next.headers['cache-status'])})`)
      assert.notEqual(next.body.toString(), stored, path)
    }
  })

  it('9111-4.3.5-1: after a HEAD 200 to a stale entry says it changed, a max-stale client gets the new response, not the stale one', async () => {
    let now = T0
    const state = { etag: '"1"', modified: JAN, length: 10 }
    const app = await start({ '/r': changing(state) }, { now: () => now })
    const seen = watchInvalidations(app.cache)
    const stored = await assertStored(app, '/r', 'before HEAD')
    now += 120_000
    state.etag = '"2"'
    assert.equal((await rawRequest(`${app.url}/r`, { method: 'HEAD' })).status, 200)
    await seen.of('/r')
    const next = await rawRequest(`${app.url}/r`, { headers: { 'cache-control': 'max-stale=3600' } })
    assert.notEqual(next.body.toString(), stored, 'the stale, contradicted entry was served')
  })

  it('9111-4.3.5-1: a HEAD 200 with the stored validators and length leaves the entry as it was', async () => {
    const state = { etag: '"1"', modified: JAN, length: 10 }
    const app = await start({ '/same': changing(state), '/marker': changing({ ...state }) })
    const seen = watchInvalidations(app.cache)
    const stored = await assertStored(app, '/same', 'before HEAD')
    await assertStored(app, '/marker', 'before PURGE')
    assert.equal((await rawRequest(`${app.url}/same`, { method: 'HEAD', headers: { 'cache-control': 'no-cache' } })).status, 200)
    // An invalidation that does happen, after it: one the HEAD set off would have come first.
    assert.equal((await rawRequest(`${app.url}/marker`, { method: 'PURGE' })).status, 200)
    await seen.of('/marker')
    assert.deepEqual(seen.keys.filter((k) => k.endsWith('/same')), [])
    const again = await rawRequest(`${app.url}/same`)
    assert.ok(isHit(again), String(again.headers['cache-status']))
    assert.equal(again.body.toString(), stored)
  })
})
