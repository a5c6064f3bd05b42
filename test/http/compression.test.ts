/**
 * Compression: the `compression` middleware mounted after the cache (the
 * cache sees and stores gzip bytes, varying on Accept-Encoding) or before it
 * (the cache sees and stores identity bytes; compression encodes every
 * response on the way out, hits included). Either way every client gets a
 * body it can decode to the origin's JSON, a stored entry's Content-Encoding
 * always describes its bytes, and no client gets a coding it did not accept.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import zlib from 'node:zlib'
import type { IncomingMessage, ServerResponse } from 'node:http'
import compression from 'compression'
import type { Response as ExpressResponse } from 'express'
import { openStore, type Store } from '../../src/index.js'
import { decodeCachedResponse } from '../../middleware/core/cached-response.js'
import { FRAMEWORKS, startApp, type Framework, type Route, type TestApp } from '../helpers/http-apps.js'
import { tempDir } from '../helpers/temp-dir.js'
import { decodeBody, isHit, rawRequest, type RawResponse } from '../helpers/raw-http.js'

type Setup = 'after' | 'before'
type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void

/** Origin JSON well over compression's 1 KiB threshold. */
const DATA = {
  items: Array.from({ length: 120 }, (_, i) => ({ id: i, name: `item ${i}`, tags: ['a', 'b', `t${i % 7}`], price: i * 1.25 })),
}
const JSON_TEXT = JSON.stringify(DATA)
const CACHEABLE = 'public, max-age=600'

/** How the origin writes its JSON: the three ways a Connect or Express app commonly does. */
type Style = 'send' | 'stream' | 'writeHead'
const STYLES: Style[] = ['send', 'stream', 'writeHead']

function jsonRoute(framework: Framework, style: Style, compress: Middleware | undefined): Route {
  const write = (res: ServerResponse) => {
    if (style === 'send') {
      res.setHeader('cache-control', CACHEABLE)
      // res.json is Express's; Connect's, the proxy's and argo's plain node:http origins write the JSON themselves.
      if (framework !== 'express5' && framework !== 'express4') {
        res.setHeader('content-type', 'application/json; charset=utf-8')
        res.end(JSON_TEXT)
      } else {
        (res as unknown as ExpressResponse).json(DATA)
      }
    } else if (style === 'stream') {
      res.setHeader('content-type', 'application/json; charset=utf-8')
      res.setHeader('cache-control', CACHEABLE)
      for (let at = 0; at < JSON_TEXT.length; at += 500) res.write(JSON_TEXT.slice(at, at + 500))
      res.end()
    } else {
      res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': CACHEABLE })
      res.end(JSON_TEXT)
    }
  }
  // compression() inside the route is compression mounted after the cache: it wraps res after the cache's tee.
  return (req, res) => (compress === undefined ? write(res) : compress(req, res, () => write(res)))
}

/** Whether a client that sent `acceptEncoding` accepts `coding` (q=0 is a refusal). */
function accepts(acceptEncoding: string | undefined, coding: string): boolean {
  if (coding === 'identity') return true
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';').map((p) => p.trim())
    const q = params.find((p) => p.startsWith('q='))
    if ((name === coding || name === '*') && (q === undefined || Number(q.slice(2)) > 0)) return true
  }
  return false
}

function codingOf(res: RawResponse): string {
  return (res.headers['content-encoding'] ?? 'identity').toLowerCase()
}

/** Checks one response: 200, a coding the client accepted, bytes that decode under that coding to the origin's JSON. */
function assertDecodable(res: RawResponse, acceptEncoding: string | undefined, what: string): void {
  assert.equal(res.status, 200, `${what}: status`)
  const coding = codingOf(res)
  assert.ok(accepts(acceptEncoding, coding), `${what}: got Content-Encoding ${coding} for Accept-Encoding ${String(acceptEncoding)}`)
  if (coding === 'identity') {
    assert.ok(!(res.body[0] === 0x1f && res.body[1] === 0x8b), `${what}: gzip bytes without Content-Encoding: gzip`)
  }
  let decoded: Buffer
  try {
    decoded = decodeBody(res)
  } catch (err) {
    assert.fail(`${what}: body does not decode as Content-Encoding ${coding} says (${String(err)}); first bytes ${res.body.subarray(0, 16).toString('hex')}`)
  }
  assert.deepEqual(JSON.parse(decoded.toString('utf8')), DATA, `${what}: decoded body differs from the origin's JSON`)
}

/** Every stored response: its Content-Encoding must describe its bytes. Returns the codings seen. */
async function assertStoreConsistent(store: Store, route: string): Promise<string[]> {
  const codings: string[] = []
  for await (const key of store.keys()) {
    if (!key.startsWith('http:') || !key.includes(route)) continue
    const bytes = await store.get(key)
    if (bytes === undefined) continue
    const entry = decodeCachedResponse(bytes)
    assert.ok(entry !== undefined, `stored entry ${JSON.stringify(key)} does not decode`)
    if (entry.head.status === 0) continue // the Vary marker
    const coding = String(entry.head.headers['content-encoding'] ?? 'identity').toLowerCase()
    codings.push(coding)
    let decoded: Buffer
    try {
      decoded = decodeBody({ status: entry.head.status, headers: { 'content-encoding': coding }, body: entry.body })
    } catch (err) {
      assert.fail(`stored entry ${JSON.stringify(key)} says Content-Encoding ${coding} but its bytes do not decode so (${String(err)}); first bytes ${entry.body.subarray(0, 16).toString('hex')}`)
    }
    assert.deepEqual(JSON.parse(decoded.toString('utf8')), DATA, `stored entry ${JSON.stringify(key)} decodes to something else`)
  }
  return codings
}

const GZIP = 'gzip'
const NONE = undefined

for (const framework of FRAMEWORKS) {
  for (const setup of ['after', 'before'] as Setup[]) {
    // Before the app (handler) or under argo, nothing runs between the client and the cache: compression()
    // is Express middleware, so it can only be the origin's own (mounted after the cache).
    if ((framework === 'handler' || framework === 'argo') && setup === 'before') continue
    const routes: Record<string, Route> = {}
    const compress = setup === 'after' ? (compression() as unknown as Middleware) : undefined
    for (const style of STYLES) {
      for (const order of ['gzip-first', 'none-first']) routes[`/${style}-${order}`] = jsonRoute(framework, style, compress)
      routes[`/${style}-browsers`] = jsonRoute(framework, style, compress)
      routes[`/${style}-refusals`] = jsonRoute(framework, style, compress)
    }
    // Opened at the top level, not in a before() hook: startApp and tempDir register after() hooks, and node:test
    // runs an after() registered inside a before() hook as soon as that hook returns.
    const store: Store = await openStore({ dir: tempDir('compression') })
    const app: TestApp = await startApp(routes, { store }, framework, setup === 'before' ? [compression() as unknown as Middleware] : [])

    describe(`compression mounted ${setup} the cache (${framework})`, () => {
      after(async () => {
        await app.close()
        await store.close()
      })

      async function get(route: string, acceptEncoding: string | undefined): Promise<RawResponse> {
        return rawRequest(app.url + route, { headers: acceptEncoding === undefined ? {} : { 'accept-encoding': acceptEncoding } })
      }

      for (const style of STYLES) {
        for (const [order, clients] of [['gzip-first', [GZIP, NONE]], ['none-first', [NONE, GZIP]]] as const) {
          it(`${style}: a gzip client and a client without Accept-Encoding, ${order}, each decode the JSON, from the cache the second time`, async () => {
            const route = `/${style}-${order}`
            // Round 1 fills the cache, round 2 must be answered from it.
            for (const round of [1, 2]) {
              for (const ae of clients) {
                const res = await get(route, ae)
                const what = `${route} round ${round}, Accept-Encoding ${String(ae)}`
                assertDecodable(res, ae, what)
                if (ae === GZIP) assert.equal(codingOf(res), 'gzip', `${what}: a JSON body over the threshold should reach a gzip client compressed`)
                if (round === 2) assert.ok(isHit(res), `${what}: not a hit (Cache-Status ${String(res.headers['cache-status'])})`)
              }
            }
            // After the cache, one stored variant per coding; before it, one identity entry serves both.
            assert.equal(app.originCalls(route), setup === 'after' ? 2 : 1)
            const codings = await assertStoreConsistent(store, route)
            assert.deepEqual(codings.sort(), setup === 'after' ? ['gzip', 'identity'] : ['identity'], `${route}: stored codings`)
          })
        }

        it(`${style}: clients that spell Accept-Encoding differently but accept the same codings share a variant`, async () => {
          const route = `/${style}-browsers`
          // vary.ts: "gzip, deflate, br" and "br, gzip" share a variant.
          const first = await get(route, 'gzip, deflate, br')
          assertDecodable(first, 'gzip, deflate, br', `${route} first`)
          const second = await get(route, 'br, gzip')
          assertDecodable(second, 'br, gzip', `${route} second`)
          const third = await get(route, 'gzip, deflate, br')
          assertDecodable(third, 'gzip, deflate, br', `${route} third`)
          await assertStoreConsistent(store, route)
          assert.equal(app.originCalls(route), 1, `${route}: a second Accept-Encoding spelling went to the origin (Cache-Status ${String(second.headers['cache-status'])})`)
          assert.ok(isHit(second) && isHit(third))
        })

        it(`${style}: a client that refuses gzip (q=0 or identity only) never gets gzip, even when a gzip variant is cached`, async () => {
          const route = `/${style}-refusals`
          assertDecodable(await get(route, GZIP), GZIP, `${route} warm-up`)
          for (const ae of ['gzip;q=0', 'identity', 'gzip;q=0, identity', '', 'deflate;q=0, gzip;q=0']) {
            for (let n = 0; n < 2; n++) {
              const res = await get(route, ae)
              assertDecodable(res, ae, `${route}, Accept-Encoding ${JSON.stringify(ae)} #${n + 1}`)
              assert.notEqual(codingOf(res), 'gzip')
            }
          }
          await assertStoreConsistent(store, route)
          // (How many of those reached the origin is the variant-sharing test's business.)
          // And the gzip variant is still served, still gzip.
          const again = await get(route, GZIP)
          assertDecodable(again, GZIP, `${route} gzip again`)
          assert.equal(codingOf(again), 'gzip')
          assert.ok(isHit(again))
        })
      }
    })
  }
}

// A guard on the test's own decoder: it must reject identity bytes labelled gzip, or the checks above prove nothing.
describe('decodeBody (test helper)', () => {
  it('refuses identity bytes labelled gzip and decodes real gzip', () => {
    assert.throws(() => decodeBody({ status: 200, headers: { 'content-encoding': 'gzip' }, body: Buffer.from(JSON_TEXT) }))
    assert.equal(decodeBody({ status: 200, headers: { 'content-encoding': 'gzip' }, body: zlib.gzipSync(JSON_TEXT) }).toString(), JSON_TEXT)
  })
})
