/**
 * What goes through the proxy (started through the command): chunked,
 * gzip, large and slow bodies byte for byte; request bodies streamed to the
 * origin, with the invalidation a successful POST brings; hop-by-hop fields
 * stripped both ways; Via and X-Forwarded-*; preserveHost; an https target.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { Readable } from 'node:stream'
import { describe, it } from 'node:test'
import zlib from 'node:zlib'
import { isHit, patternBytes, rawRequest, rawSocketRequest } from '../helpers/raw-http.js'
import { selfSignedCertificate, startOrigin, startProxy, type Handler } from './proxy-process.js'

const CACHEABLE = 'public, max-age=600'
const JSON_TEXT = JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) })
const GZIPPED = zlib.gzipSync(JSON_TEXT)
const LARGE = patternBytes(6 * 1024 * 1024 + 17, 3)
const SLOW = patternBytes(256 * 1024, 4)

/** Writes `body` in pieces, one per event-loop turn (chunked: no Content-Length). */
function chunked(body: Buffer, piece: number): Handler {
  return (_req, res) => {
    res.setHeader('cache-control', CACHEABLE)
    let at = 0
    const step = () => {
      if (res.destroyed) return
      if (at >= body.byteLength) return void res.end()
      res.write(body.subarray(at, at + piece))
      at += piece
      setImmediate(step)
    }
    step()
  }
}

const echoes: Array<{ method: string; bytes: number; headers: http.IncomingHttpHeaders }> = []
const routes: Record<string, Handler> = {
  '/chunked': chunked(patternBytes(300 * 1024, 1), 1000),
  '/gzip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', vary: 'Accept-Encoding', 'cache-control': CACHEABLE })
    res.end(GZIPPED)
  },
  '/large': (_req, res) => {
    res.setHeader('cache-control', CACHEABLE)
    res.setHeader('content-length', String(LARGE.byteLength))
    Readable.from([LARGE.subarray(0, 1 << 20), LARGE.subarray(1 << 20)]).pipe(res)
  },
  '/slow': (_req, res) => {
    res.setHeader('cache-control', CACHEABLE)
    let at = 0
    const tick = () => {
      if (res.destroyed) return
      if (at >= SLOW.byteLength) return void res.end()
      res.write(SLOW.subarray(at, at + 16 * 1024))
      at += 16 * 1024
      setTimeout(tick, 2)
    }
    tick()
  },
  '/items': (req, res, n) => {
    if (req.method === 'GET') {
      res.setHeader('cache-control', CACHEABLE)
      return void res.end(`items ${n}`)
    }
    let bytes = 0
    req.on('data', (chunk: Buffer) => { bytes += chunk.byteLength })
    req.on('end', () => {
      echoes.push({ method: req.method!, bytes, headers: req.headers })
      res.statusCode = 201
      res.end(`got ${bytes}`)
    })
  },
  '/headers': (req, res) => {
    res.setHeader('connection', 'x-hop, close')
    res.setHeader('x-hop', 'for the proxy only')
    res.setHeader('keep-alive', 'timeout=5')
    res.setHeader('x-end', 'to the client')
    res.end(JSON.stringify(req.headers))
  },
}

const origin = await startOrigin(routes)
// Admission 'always' is the library's choice to make; the command keeps the default 'second-hit'.
const proxy = await startProxy(origin.url)

/** Two misses store a URL (admission 'second-hit'); the third request must be a hit with the same bytes. */
async function assertStoredExactly(path: string, expected: Buffer, headers: http.OutgoingHttpHeaders = {}): Promise<void> {
  for (let n = 1; n <= 3; n++) {
    const res = await rawRequest(proxy.url + path, { headers, timeoutMs: 30_000 })
    assert.equal(res.status, 200)
    assert.ok(res.body.equals(expected), `${path} #${n}: ${res.body.byteLength} bytes, expected ${expected.byteLength}`)
    if (n === 3) assert.ok(isHit(res), `${path} #3: ${String(res.headers['cache-status'])}`)
  }
  assert.equal(origin.calls(path), 2)
}

describe('bodies through the proxy', () => {
  it('a chunked body (300 KiB in 1000-byte writes) arrives and is stored byte for byte', async () => {
    await assertStoredExactly('/chunked', patternBytes(300 * 1024, 1))
  })

  it('a gzip body passes through byte-exact with its Content-Encoding, also from the cache', async () => {
    await assertStoredExactly('/gzip', GZIPPED, { 'accept-encoding': 'gzip' })
    const hit = await rawRequest(`${proxy.url}/gzip`, { headers: { 'accept-encoding': 'gzip' } })
    assert.equal(hit.headers['content-encoding'], 'gzip')
    assert.equal(zlib.gunzipSync(hit.body).toString(), JSON_TEXT)
  })

  it('a 6 MiB body arrives whole and is stored', async () => {
    await assertStoredExactly('/large', LARGE)
  })

  it('a slow body (16 KiB every 2 ms) arrives whole and is stored', async () => {
    await assertStoredExactly('/slow', SLOW)
  })
})

describe('request bodies', () => {
  it('a POST body of 3 MiB, sent in pieces, reaches the origin whole, and its success invalidates the URL', async () => {
    for (let n = 0; n < 3; n++) await rawRequest(`${proxy.url}/items`)
    assert.ok(isHit(await rawRequest(`${proxy.url}/items`)))
    const size = 3 * 1024 * 1024
    const answer = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${proxy.url}/items`, { method: 'POST', agent: false, headers: { 'content-type': 'application/octet-stream' } }, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => { text += chunk.toString() })
        res.on('end', () => resolve(`${res.statusCode} ${text}`))
      })
      req.on('error', reject)
      Readable.from(Array.from({ length: 48 }, (_, i) => patternBytes(size / 48, i + 1))).pipe(req)
    })
    assert.equal(answer, `201 got ${size}`)
    assert.equal(echoes.at(-1)!.bytes, size)
    assert.equal(echoes.at(-1)!.headers['transfer-encoding'], 'chunked', 'the body was not streamed on')
    // The POST succeeded: the next GET goes to the origin.
    const after = await rawRequest(`${proxy.url}/items`)
    assert.ok(!isHit(after), String(after.headers['cache-status']))
    assert.equal(after.body.toString(), 'items 4')
  })

  it('a PUT with Content-Length goes on with that Content-Length', async () => {
    const res = await rawRequest(`${proxy.url}/items`, { method: 'PUT', body: Buffer.alloc(1234, 7) })
    assert.equal(res.body.toString(), 'got 1234')
    assert.equal(echoes.at(-1)!.headers['content-length'], '1234')
  })
})

describe('headers', () => {
  it('strips hop-by-hop fields and those Connection names, both ways', async () => {
    const answer = await rawSocketRequest(proxy.url, 'GET /headers HTTP/1.1\r\nHost: cache.test\r\nConnection: x-secret, close\r\n' +
      'X-Secret: hop only\r\nKeep-Alive: timeout=9\r\nTE: trailers\r\nProxy-Authorization: Basic abc\r\nUpgrade-Insecure-Requests: 1\r\n' +
      'X-End: end to end\r\n\r\n', 10_000)
    const [head, body] = answer.split('\r\n\r\n')
    const seen = JSON.parse(body.trim().split('\r\n').length > 1 ? dechunk(body) : body) as Record<string, string>
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) assert.equal(seen[name], undefined, `${name} reached the origin`)
    assert.equal(seen['x-end'], 'end to end')
    assert.equal(seen['upgrade-insecure-requests'], '1', 'an end-to-end field that merely looks hop-by-hop was dropped')
    assert.doesNotMatch(head, /^x-hop:/im, 'a field the origin\'s Connection named reached the client')
    assert.doesNotMatch(head, /^keep-alive: timeout=5/im)
    assert.match(head, /^x-end: to the client$/im)
  })

  it('adds Via both ways, X-Forwarded-For (appended), -Proto and -Host, and sends the target\'s Host', async () => {
    const res = await rawRequest(`${proxy.url}/headers`, { headers: { host: 'cache.test', 'x-forwarded-for': '203.0.113.9', via: '1.0 edge', 'x-forwarded-proto': 'https' } })
    const seen = JSON.parse(res.body.toString()) as Record<string, string>
    assert.equal(seen.host, new URL(origin.url).host)
    assert.equal(seen.via, '1.0 edge, 1.1 spillway')
    assert.equal(seen['x-forwarded-for'], '203.0.113.9, 127.0.0.1')
    assert.equal(seen['x-forwarded-proto'], 'http', 'the client\'s own X-Forwarded-Proto was believed')
    assert.equal(seen['x-forwarded-host'], 'cache.test')
    assert.equal(res.headers.via, '1.1 spillway')
  })

  it('--preserve-host sends the client\'s Host', async () => {
    const preserving = await startProxy(origin.url, ['--preserve-host'])
    const res = await rawRequest(`${preserving.url}/headers`, { headers: { host: 'cache.test' } })
    assert.equal((JSON.parse(res.body.toString()) as Record<string, string>).host, 'cache.test')
    assert.equal(await preserving.stop(), 0)
  })
})

describe('an https target', () => {
  const certificate = selfSignedCertificate()
  it('is reached over TLS with a certificate trusted through --ca, and its responses are cached', { skip: 'skip' in certificate && certificate.skip }, async () => {
    if ('skip' in certificate) return
    const secure = await startOrigin({ '/tls': (req, res, n) => {
      res.setHeader('cache-control', CACHEABLE)
      res.end(`over ${(req.socket as import('node:tls').TLSSocket).encrypted ? 'tls' : 'plain'} ${n}`)
    } }, certificate)
    const untrusting = await startProxy(secure.url)
    const refused = await rawRequest(`${untrusting.url}/tls`)
    assert.equal(refused.status, 502, 'a self-signed certificate was accepted without --ca')
    assert.match(refused.body.toString(), /TLS|certificate|CERT/i)
    assert.equal(await untrusting.stop(), 0)

    const trusting = await startProxy(secure.url, ['--ca', certificate.certFile])
    const bodies: string[] = []
    for (let n = 0; n < 3; n++) bodies.push((await rawRequest(`${trusting.url}/tls`)).body.toString())
    assert.deepEqual(bodies, ['over tls 1', 'over tls 2', 'over tls 2'])
    assert.equal(await trusting.stop(), 0)

    // With the client's Host sent on, the certificate is still checked against the target's name.
    const byName = await startProxy(secure.url.replace('127.0.0.1', 'localhost'), ['--ca', certificate.certFile, '--preserve-host'])
    const named = await rawRequest(`${byName.url}/tls`, { headers: { host: 'cache.test' } })
    assert.equal(named.status, 200, named.body.toString())
    assert.match(named.body.toString(), /^over tls \d+$/)
    assert.equal(await byName.stop(), 0)
  })
})

/** A chunked body's data. */
function dechunk(text: string): string {
  let out = ''
  let rest = text
  for (;;) {
    const end = rest.indexOf('\r\n')
    const size = parseInt(rest.slice(0, end), 16)
    if (!(size > 0)) return out
    out += rest.slice(end + 2, end + 2 + size)
    rest = rest.slice(end + 4 + size)
  }
}
