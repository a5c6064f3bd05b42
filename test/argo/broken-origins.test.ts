/**
 * Origins that fail: down, sending garbage, closing mid-body, sending less
 * than their Content-Length, breaking their chunked framing. The client gets
 * an error status or a cut connection it can tell from a whole response,
 * never a stored entry; the next request goes to the origin again and gets
 * the whole body; argo keeps serving. A stale entry stands in for a failing
 * origin where stale-if-error allows.
 */
import assert from 'node:assert/strict'
import net from 'node:net'
import { describe, it } from 'node:test'
import { request } from 'undici'
import { isHit, rawRequest } from '../helpers/raw-http.js'
import { strictExchange } from '../helpers/strict-http1.js'
import { nextStoringEvent, startArgoFront, type RawOrigin } from '../helpers/argo-front.js'

const WHOLE = 'x'.repeat(100)
const head = (extra: string) => `HTTP/1.1 200 OK\r\ncache-control: public, max-age=600\r\n${extra}\r\n`

/** Breaks the first response in the way given, then answers every later request whole. */
function breaksOnce(broken: RawOrigin): RawOrigin {
  let calls = 0
  return (socket, text) => {
    if (++calls === 1) return broken(socket, text)
    socket.end(`${head(`content-length: ${WHOLE.length}\r\nconnection: close\r\n`)}${WHOLE}`)
  }
}

const BROKEN: Array<[string, RawOrigin]> = [
  ['closes mid-body (chunked)', (socket) => {
    socket.write(`${head('transfer-encoding: chunked\r\n')}5\r\nxxxxx\r\n`, () => socket.destroy())
  }],
  ['sends less than its Content-Length, then closes', (socket) => {
    socket.write(`${head('content-length: 100\r\n')}${'x'.repeat(10)}`, () => socket.destroy())
  }],
  ['breaks its chunked framing mid-body', (socket) => {
    socket.write(`${head('transfer-encoding: chunked\r\n')}5\r\nxxxxx\r\nZZZ\r\n`)
  }],
]

describe('argo plugin: broken origins', () => {
  for (const [name, broken] of BROKEN) {
    it(`an origin that ${name}: the client sees the body cut short, nothing is stored, the next request gets the whole body`, async () => {
      const front = await startArgoFront({ raw: breaksOnce(broken) })
      const storing = nextStoringEvent(front.plugin)
      await assert.rejects(strictExchange(front.url, [{ path: '/b' }]), /cut short|Content-Length 100/)
      const [event, , reason] = await storing
      assert.equal(event, 'not-stored')
      assert.match(reason!, /aborted|Content-Length/)
      const again = await rawRequest(`${front.url}/b`)
      assert.ok(!isHit(again), String(again.headers['cache-status']))
      assert.equal(again.body.toString(), WHOLE)
      assert.equal(front.plugin.stats().stored, 1, 'only the whole response')
      assert.ok(isHit(await rawRequest(`${front.url}/b`)))
      assert.equal(front.originCalls('/b'), 2)
    })

    it(`an origin that ${name}: undici's request() rejects rather than take the short body for the whole`, async () => {
      const front = await startArgoFront({ raw: breaksOnce(broken) })
      await assert.rejects(async () => {
        const res = await request(`${front.url}/u`)
        await res.body.text()
      })
      assert.equal((await rawRequest(`${front.url}/u`)).body.toString(), WHOLE)
    })
  }

  it('an origin that is down gets a valid 503, not stored, and argo keeps serving', async () => {
    const closed = net.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()))
    const port = (closed.address() as net.AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const front = await startArgoFront(() => {}, { build: (a, p) => a.use(p).target(`http://127.0.0.1:${port}`) })
    const responses = await strictExchange(front.url, [{ path: '/down' }, { path: '/down' }])
    for (const r of responses) {
      assert.equal(r.status, 503)
      assert.ok(!/hit/.test(r.headers['cache-status']))
    }
    const res = await request(`${front.url}/down`)
    assert.equal(res.statusCode, 503)
    await res.body.text()
    assert.equal(front.plugin.stats().stored, 0)
  })

  it('an origin that answers garbage gets a valid 503, not stored', async () => {
    const front = await startArgoFront({ raw: (socket) => socket.end('garbage\r\n\r\n') })
    const [first, second] = await strictExchange(front.url, [{ path: '/g' }, { path: '/g' }])
    assert.equal(first.status, 503)
    assert.equal(second.status, 503)
    assert.equal(front.originCalls('/g'), 2)
    assert.equal(front.plugin.stats().stored, 0)
  })

  it('a stale entry with stale-if-error stands in for an origin that hangs up, and for one that sends a 500', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z')
    let calls = 0
    const front = await startArgoFront({ raw: (socket) => {
      calls++
      if (calls === 1) return socket.end(`HTTP/1.1 200 OK\r\ncache-control: max-age=10, stale-if-error=600\r\ncontent-length: 5\r\nconnection: close\r\n\r\nfirst`)
      if (calls === 2) return socket.destroy()
      socket.end('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\nconnection: close\r\n\r\noops')
    } }, { cache: { now: () => now } })
    const storing = nextStoringEvent(front.plugin)
    assert.equal((await rawRequest(`${front.url}/s`)).body.toString(), 'first')
    await storing
    now += 60_000
    for (let i = 0; i < 2; i++) {
      const [stale] = await strictExchange(front.url, [{ path: '/s' }])
      assert.equal(stale.status, 200)
      assert.equal(stale.body.toString(), 'first')
      assert.match(stale.headers['cache-status'], /fwd=stale/)
    }
    assert.equal(calls, 3)
    assert.equal(front.plugin.stats().stale, 2)
  })
})
