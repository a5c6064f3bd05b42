/**
 * When the origin fails: unreachable (502), too slow (504), garbage (502),
 * a body cut short or shorter than its Content-Length (the client's
 * connection is cut, nothing is stored), a stall mid-body; and a client
 * that leaves mid-body (the origin request is stopped). The error bodies
 * say what failed in one line, never with a stack. With a stale entry that
 * stale-if-error (or useStaleOnError) allows, the 502 and 504 become that
 * entry.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { createCachingProxy } from '../../middleware/proxy.js'
import { abortAfterFirstChunk, isHit, patternBytes, rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startOrigin, startProxy, startRawOrigin } from './proxy-process.js'

/** A one-line error body naming what failed: no stack frames, no source paths. */
function assertPlainError(res: { status: number; headers: http.IncomingHttpHeaders; body: Buffer }, status: number, what: RegExp): void {
  assert.equal(res.status, status, res.body.toString())
  const text = res.body.toString()
  assert.match(text, what)
  assert.equal(text.trim().split('\n').length, 1, `more than one line: ${text}`)
  assert.doesNotMatch(text, /\bat \S+ \(|\.js:\d+|node:internal/, 'a stack trace in the error body')
  assert.match(String(res.headers['content-type']), /^text\/plain/)
  assert.equal(res.headers['cache-control'], 'no-store')
}

/** A port nothing listens on: a server's, closed. */
async function closedPort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('the origin fails before its response', () => {
  it('unreachable: 502 with a one-line body, and the proxy goes on serving', async () => {
    const proxy = await startProxy(`http://127.0.0.1:${await closedPort()}`)
    for (let n = 0; n < 2; n++) assertPlainError(await rawRequest(`${proxy.url}/x`), 502, /unreachable \(ECONNREFUSED\)/)
    assertPlainError(await rawRequest(`${proxy.url}/y`, { method: 'POST', body: 'data' }), 502, /unreachable/)
    assert.equal(await proxy.stop(), 0)
  })

  it('no response head within --headers-timeout: 504 naming the timeout; other requests are served meanwhile', async () => {
    const origin = await startOrigin({
      '/hang': () => {},
      '/quick': (_req, res) => res.end('quick'),
    })
    const proxy = await startProxy(origin.url, ['--headers-timeout', '200ms'])
    const hanging = rawRequest(`${proxy.url}/hang`, { timeoutMs: 20_000 })
    assert.equal((await rawRequest(`${proxy.url}/quick`)).body.toString(), 'quick')
    assertPlainError(await hanging, 504, /no response within 200 ms/)
    assert.equal(await proxy.stop(), 0)
  })

  it('garbage instead of HTTP: 502 naming an invalid response', async () => {
    const origin = await startRawOrigin((socket) => socket.end('SPDY/9 \u0000\u0001 nonsense\r\n\r\n'))
    const proxy = await startProxy(origin.url)
    assertPlainError(await rawRequest(`${proxy.url}/g`), 502, /invalid response|closed the connection/)
    assert.equal(await proxy.stop(), 0)
  })
})

describe('the origin fails in the middle of its body: the client\'s connection is cut, nothing is stored', () => {
  const cacheable = 'HTTP/1.1 200 OK\r\nCache-Control: public, max-age=600\r\nContent-Type: application/octet-stream\r\n'
  for (const [label, broken] of [
    ['a body shorter than its Content-Length, then a close', (socket: import('node:net').Socket) => {
      socket.end(`${cacheable}Content-Length: 1000\r\n\r\n${'a'.repeat(400)}`)
    }],
    ['a chunked body closed before its last chunk', (socket: import('node:net').Socket) => {
      socket.end(`${cacheable}Transfer-Encoding: chunked\r\n\r\n100\r\n${'b'.repeat(256)}\r\n100\r\n${'c'.repeat(100)}`)
    }],
    ['a chunked body with a malformed chunk size', (socket: import('node:net').Socket) => {
      socket.end(`${cacheable}Transfer-Encoding: chunked\r\n\r\n10\r\n${'d'.repeat(16)}\r\nzz\r\n`)
    }],
  ] as const) {
    it(label, async () => {
      let healthy = false
      const body = 'e'.repeat(1000)
      const origin = await startRawOrigin((socket) => {
        if (!healthy) return broken(socket)
        socket.write(`${cacheable}Content-Length: ${body.length}\r\n\r\n${body}`)
      })
      const proxy = await startProxy(origin.url)
      // Three times: with admission 'second-hit', a stored entry would show by the third.
      for (let n = 1; n <= 3; n++) await assert.rejects(rawRequest(`${proxy.url}/broken`), `request ${n} was not cut off`)
      assert.equal(origin.calls(), 3)
      healthy = true
      const whole = await rawRequest(`${proxy.url}/broken`)
      assert.equal(whole.body.toString(), body)
      assert.ok(!isHit(whole), 'a truncated response was stored')
      assert.equal(origin.calls(), 4)
      assert.equal(await proxy.stop(), 0)
    })
  }

  it('a pause past --body-timeout cuts the response, and it is not stored', async () => {
    let stall = true
    const origin = await startOrigin({ '/stall': (_req, res) => {
      res.setHeader('cache-control', 'public, max-age=600')
      res.setHeader('content-length', '2000')
      res.write('f'.repeat(1000))
      if (!stall) res.end('f'.repeat(1000))
    } })
    const proxy = await startProxy(origin.url, ['--body-timeout', '200ms'])
    for (let n = 1; n <= 3; n++) await assert.rejects(rawRequest(`${proxy.url}/stall`, { timeoutMs: 20_000 }))
    stall = false
    const whole = await rawRequest(`${proxy.url}/stall`)
    assert.equal(whole.body.byteLength, 2000)
    assert.ok(!isHit(whole))
    assert.equal(origin.calls('/stall'), 4)
    assert.equal(await proxy.stop(), 0)
  })
})

describe('a client that leaves mid-body', () => {
  it('stops the origin request, and nothing is stored', async () => {
    const body = patternBytes(512 * 1024, 9)
    const closes: Array<Promise<boolean>> = []
    const origin = await startOrigin({ '/long': (_req, res) => {
      closes.push(new Promise((resolve) => res.once('close', () => resolve(res.writableFinished))))
      res.setHeader('cache-control', 'public, max-age=600')
      let at = 0
      const tick = () => {
        if (res.destroyed) return
        if (at >= body.byteLength) return void res.end()
        res.write(body.subarray(at, at + 4096))
        at += 4096
        setTimeout(tick, 5)
      }
      tick()
    } })
    const proxy = await startProxy(origin.url)
    for (let n = 0; n < 3; n++) {
      const partial = await abortAfterFirstChunk(`${proxy.url}/long`)
      assert.ok(partial.body.byteLength < body.byteLength)
    }
    assert.deepEqual(await Promise.all(closes), [false, false, false], 'the origin was left sending to a client that was gone')
    const whole = await rawRequest(`${proxy.url}/long`, { timeoutMs: 30_000 })
    assert.ok(whole.body.equals(body))
    assert.ok(!isHit(whole), 'an aborted response was stored')
    assert.equal(await proxy.stop(), 0)
  })
})

describe('stale-if-error through the proxy (API, with an injected clock)', () => {
  async function cachedThenStale(options: { origin: http.RequestListener; proxy?: Parameters<typeof createCachingProxy>[0] extends infer O ? Partial<O> : never }) {
    let now = 1_700_000_000_000
    let calls = 0
    let failing = false
    const originServer = http.createServer((req, res) => {
      calls++
      if (!failing) {
        res.setHeader('cache-control', 'max-age=10, stale-if-error=600')
        return void res.end(`fresh ${calls}`)
      }
      options.origin(req, res)
    })
    await new Promise<void>((resolve) => originServer.listen(0, '127.0.0.1', resolve))
    const target = `http://127.0.0.1:${(originServer.address() as AddressInfo).port}`
    const proxy = createCachingProxy({ target, dir: tempDir('proxy-stale'), admission: 'always', now: () => now, ...options.proxy })
    const listening = await proxy.listen(0)
    after(async () => {
      originServer.closeAllConnections()
      originServer.close()
      await listening.close(0)
    })
    await proxy.purgeTag('ready')
    assert.equal((await rawRequest(`${listening.url}/s`)).body.toString(), 'fresh 1')
    now += 20_000
    failing = true
    return { url: listening.url, originServer, calls: () => calls }
  }

  it('the origin unreachable (502): the stale entry is served', async () => {
    const { url, originServer } = await cachedThenStale({ origin: () => {} })
    originServer.closeAllConnections()
    await new Promise<void>((resolve) => originServer.close(() => resolve()))
    const res = await rawRequest(`${url}/s`)
    assert.equal(res.status, 200)
    assert.equal(res.body.toString(), 'fresh 1')
    assert.match(String(res.headers['cache-status']), /fwd=stale; fwd-status=502; detail="stale-if-error"/)
  })

  it('the origin too slow (504 after headersTimeoutMs): the stale entry is served', async () => {
    const { url } = await cachedThenStale({ origin: () => {}, proxy: { headersTimeoutMs: 100 } })
    const res = await rawRequest(`${url}/s`)
    assert.equal(res.body.toString(), 'fresh 1')
    assert.match(String(res.headers['cache-status']), /fwd=stale; fwd-status=504/)
  })

  it('originTimeoutMs with useStaleOnError: the stale entry is served and the origin request is stopped', async () => {
    let closed!: (finished: boolean) => void
    const originClosed = new Promise<boolean>((resolve) => { closed = resolve })
    const { url } = await cachedThenStale({
      origin: (_req, res) => res.once('close', () => closed(res.writableFinished)),
      proxy: { useStaleOnError: 600, originTimeoutMs: 100 },
    })
    const res = await rawRequest(`${url}/s`)
    assert.equal(res.body.toString(), 'fresh 1')
    assert.match(String(res.headers['cache-status']), /detail="origin-timeout"/)
    assert.equal(await originClosed, false, 'the origin request went on after the stale entry answered')
  })
})
