/**
 * Every response that passes through the plugin, miss or hit, is valid
 * HTTP/1.1 for strict clients: undici's request() and fetch() (which refuse
 * Content-Length beside Transfer-Encoding, HPE_UNEXPECTED_CONTENT_LENGTH),
 * and a raw socket read by RFC 9112 §6.3's rules with responses pipelined on
 * one connection, so a response whose framing lies spoils the next one.
 * Upstreams: Content-Length, chunked, gzip (chunked and with a length),
 * large, empty, close-delimited, 204 and 304. Plugins that set
 * env.response.body (a non-ASCII string, an object, a Buffer, a stream) in
 * place of the target's body too.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { Readable } from 'node:stream'
import zlib from 'node:zlib'
import { after, describe, it } from 'node:test'
import { Agent, fetch, request } from 'undici'
import { patternBytes } from '../helpers/raw-http.js'
import { strictExchange, type StrictResponse } from '../helpers/strict-http1.js'
import { nextStoringEvent, startArgoFront, type ArgoFront, type RawOrigin } from '../helpers/argo-front.js'

const LARGE = patternBytes(3 * 1024 * 1024 + 17, 7)
const TEXT = 'héllo wörld, ünïcode ✓'
const CACHEABLE = 'public, max-age=600'

interface Case {
  name: string
  origin: ((req: IncomingMessage, res: ServerResponse) => void) | { raw: RawOrigin }
  /** The body a client must end up with, decoded. */
  body: Buffer
  gzip?: boolean
  /** Stored, so the second request is a hit. @default true */
  stored?: boolean
  status?: number
}

const CASES: Case[] = [
  { name: 'Content-Length', body: Buffer.from('abcdefghij'), origin: (_req, res) => {
    res.writeHead(200, { 'content-length': '10', 'cache-control': CACHEABLE })
    res.end('abcdefghij')
  } },
  { name: 'chunked', body: Buffer.from('hello chunked world'), origin: (_req, res) => {
    res.setHeader('cache-control', CACHEABLE)
    res.write('hello ')
    res.write('chunked ')
    res.end('world')
  } },
  { name: 'gzip, chunked', gzip: true, body: Buffer.from(TEXT.repeat(200)), origin: (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip', 'cache-control': CACHEABLE, vary: 'accept-encoding' })
    Readable.from([Buffer.from(TEXT.repeat(200))]).pipe(zlib.createGzip()).pipe(res)
  } },
  { name: 'gzip, with a length', gzip: true, body: Buffer.from(TEXT.repeat(50)), origin: (_req, res) => {
    const gz = zlib.gzipSync(TEXT.repeat(50))
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(gz.length), 'cache-control': CACHEABLE })
    res.end(gz)
  } },
  { name: 'large (3 MiB, chunked)', body: LARGE, origin: (_req, res) => {
    res.setHeader('cache-control', CACHEABLE)
    Readable.from(chunksOf(LARGE, 64 * 1024)).pipe(res)
  } },
  { name: 'empty', body: Buffer.alloc(0), origin: (_req, res) => {
    res.setHeader('cache-control', CACHEABLE)
    res.end()
  } },
  { name: 'close-delimited (HTTP/1.0 style)', body: Buffer.from('until the close'), origin: { raw: (socket) => {
    socket.end(`HTTP/1.1 200 OK\r\ncache-control: ${CACHEABLE}\r\nconnection: close\r\n\r\nuntil the close`)
  } } },
  { name: '204', status: 204, stored: false, body: Buffer.alloc(0), origin: (_req, res) => {
    res.writeHead(204, { 'cache-control': 'no-store' })
    res.end()
  } },
]

function* chunksOf(buf: Buffer, size: number): Generator<Buffer> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size)
}

const decode = (body: Buffer, gzip?: boolean) => (gzip === true ? zlib.gunzipSync(body) : body)

const agent = new Agent({ keepAliveTimeout: 10_000 })
after(() => agent.close())

async function viaUndici(front: ArgoFront, path: string, c: Case): Promise<string> {
  const res = await request(`${front.url}${path}`, { dispatcher: agent, headers: { 'accept-encoding': 'gzip' } })
  const body = Buffer.from(await res.body.arrayBuffer())
  assert.equal(res.statusCode, c.status ?? 200)
  assert.ok(decode(body, c.gzip).equals(c.body), `${c.name}: undici request body`)
  return String(res.headers['cache-status'])
}

async function viaFetch(front: ArgoFront, path: string, c: Case): Promise<string> {
  // fetch decodes gzip itself.
  const res = await fetch(`${front.url}${path}`, { dispatcher: agent, headers: { 'accept-encoding': 'gzip' } })
  const body = Buffer.from(await res.arrayBuffer())
  assert.equal(res.status, c.status ?? 200)
  assert.ok(body.equals(c.body), `${c.name}: fetch body`)
  return String(res.headers.get('cache-status'))
}

function checkStrict(responses: StrictResponse[], c: Case, methods: string[]): void {
  responses.forEach((r, i) => {
    assert.equal(r.status, c.status ?? 200, `${c.name} #${i}`)
    if (methods[i] === 'HEAD') return assert.equal(r.body.length, 0)
    assert.ok(decode(r.body, c.gzip).equals(c.body), `${c.name} #${i}: raw body (${r.framing}, ${r.body.length} bytes)`)
  })
}

describe('argo plugin: valid HTTP/1.1 for strict clients', () => {
  for (const c of CASES) {
    it(`${c.name}: misses and hits, through undici request and fetch and a strict raw socket`, async () => {
      const front = await startArgoFront(c.origin)
      const stored = c.stored ?? true
      // Misses: each path fresh, so each of the three clients sees the target's response go by.
      let n = 0
      const fresh = () => `/c?n=${++n}`
      const storing = nextStoringEvent(front.plugin)
      assert.match(await viaUndici(front, fresh(), c), /fwd=uri-miss/)
      assert.equal((await storing)[0], stored ? 'stored' : 'not-stored')
      assert.match(await viaFetch(front, fresh(), c), /fwd=uri-miss/)
      const missPaths = [fresh(), fresh()]
      checkStrict(await strictExchange(front.url, missPaths.map((path) => ({ path, headers: { 'accept-encoding': 'gzip' } }))), c, ['GET', 'GET'])
      if (!stored) return
      // Hits of the first path, pipelined with a HEAD between.
      const methods = ['GET', 'HEAD', 'GET']
      const hits = await strictExchange(front.url, methods.map((method) => ({ method, path: '/c?n=1', headers: { 'accept-encoding': 'gzip' } })))
      checkStrict(hits, c, methods)
      for (const hit of hits) assert.match(hit.headers['cache-status'], /hit/)
      assert.match(await viaUndici(front, '/c?n=1', c), /hit/)
      assert.match(await viaFetch(front, '/c?n=1', c), /hit/)
      assert.equal(front.originCalls('/c'), 4, 'the hits never reached the target')
    })
  }

  it('a 304 from the target to a client\'s conditional request passes as a 304 without a body', async () => {
    const front = await startArgoFront((req, res) => {
      if (req.headers['if-none-match'] === '"e"') return void res.writeHead(304, { etag: '"e"' }).end()
      res.writeHead(200, { etag: '"e"', 'cache-control': 'no-cache' }).end('full')
    })
    const [full, notModified] = await strictExchange(front.url, [{ path: '/e' }, { path: '/e', headers: { 'if-none-match': '"e"' } }])
    assert.equal(full.body.toString(), 'full')
    assert.equal(notModified.status, 304)
    const res = await request(`${front.url}/e`, { dispatcher: agent, headers: { 'if-none-match': '"e"' } })
    assert.equal(res.statusCode, 304)
    assert.equal((await res.body.arrayBuffer()).byteLength, 0)
  })

  for (const [name, body, expected] of [
    ['a non-ASCII string', TEXT, Buffer.from(TEXT)],
    ['an object (sent as JSON)', { text: TEXT }, Buffer.from(JSON.stringify({ text: TEXT }))],
    ['a Buffer', 'buffer', Buffer.from('a buffer of another length')],
    ['a stream', 'stream', Buffer.from('from a stream')],
  ] as const) {
    for (const framing of ['chunked', 'with a length'] as const) {
    it(`a plugin that sets env.response.body to ${name} in place of the target's (${framing}) body gets it sent whole`, async () => {
      const front = await startArgoFront((_req, res) => {
        res.setHeader('cache-control', CACHEABLE)
        if (framing === 'with a length') return void res.writeHead(200, { 'content-length': '21' }).end('the target\'s own body')
        res.write('the target')
        res.end('\'s own body')
      }, {
        build: (a, p, target) => a.use(p).use((handle) => {
          handle('response', (env, next) => {
            env.target.response?.resume()
            env.response.body = body === 'stream' ? Readable.from([Buffer.from('from '), Buffer.from('a stream')])
              : body === 'buffer' ? Buffer.from(expected) : body
            next(env)
          })
        }).target(target),
      })
      const c: Case = { name, body: expected, origin: () => {} }
      const storing = nextStoringEvent(front.plugin)
      checkStrict(await strictExchange(front.url, [{ path: '/p' }, { path: '/q' }]), c, ['GET', 'GET'])
      await storing
      const res = await request(`${front.url}/p`, { dispatcher: agent })
      assert.match(String(res.headers['cache-status']), /hit/)
      assert.ok(Buffer.from(await res.body.arrayBuffer()).equals(expected))
      const fetched = await fetch(`${front.url}/r`, { dispatcher: agent })
      assert.ok(Buffer.from(await fetched.arrayBuffer()).equals(expected))
    })
    }
  }

  it('a route that sets env.response.headers (argo\'s documented form) with a wrong Content-Length still gets its body\'s byte length', async () => {
    const front = await startArgoFront(() => {}, {
      build: (a, p) => a.use(p).get('^/greeting$', (handle) => {
        handle('request', (env, next) => {
          env.response.headers = { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '3', 'Cache-Control': CACHEABLE }
          env.response.body = TEXT
          next(env)
        })
      }),
    })
    const methods = ['GET', 'GET']
    const [miss, hit] = await strictExchange(front.url, methods.map((method) => ({ method, path: '/greeting' })))
    for (const r of [miss, hit]) {
      assert.equal(r.body.toString(), TEXT)
      assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8')
    }
    assert.match(hit.headers['cache-status'], /hit/)
  })
})
