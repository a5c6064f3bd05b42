/**
 * Partial content (RFC 9111 §3.3, §3.4; issue 13 part 3): a 206 with a
 * strong ETag is stored, later Range requests inside its pieces are answered
 * from it, further 206s of the same representation complete it into a 200,
 * and pieces of two versions are never spliced together. On every front
 * end, against an origin that answers single byte ranges itself.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { isHit, patternBytes, rawRequest } from '../helpers/raw-http.js'

const BODY = patternBytes(1000, 7)

/** An origin for BODY (or `body()`), tagged `etag()`, that answers a single `bytes=a-b` range with a 206. */
function rangeOrigin(etag: () => string, body: () => Buffer = () => BODY) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const bytes = body()
    res.setHeader('cache-control', 'max-age=600')
    res.setHeader('etag', etag())
    const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''))
    if (m === null) return void res.end(bytes)
    const [first, last] = [Number(m[1]), Math.min(Number(m[2]), bytes.length - 1)]
    res.statusCode = 206
    res.setHeader('content-range', `bytes ${first}-${last}/${bytes.length}`)
    res.end(bytes.subarray(first, last + 1))
  }
}

for (const framework of FRONT_ENDS) describe(`partial content (${framework})`, () => {
  const start = startOn(framework)

  it('9111-3.3: a stored 206 answers a Range request inside its piece, and goes on for one outside it (fwd=partial)', async () => {
    const app = await start({ '/f': rangeOrigin(() => '"v1"') })
    const first = await rawRequest(`${app.url}/f`, { headers: { range: 'bytes=0-499' } })
    assert.equal(first.status, 206)
    const inside = await rawRequest(`${app.url}/f`, { headers: { range: 'bytes=100-199' } })
    assert.equal(inside.status, 206)
    assert.ok(isHit(inside), String(inside.headers['cache-status']))
    assert.equal(inside.headers['content-range'], 'bytes 100-199/1000')
    assert.deepEqual(inside.body, BODY.subarray(100, 200))
    assert.equal(app.originCalls('/f'), 1)
    const outside = await rawRequest(`${app.url}/f`, { headers: { range: 'bytes=600-699' } })
    assert.deepEqual(outside.body, BODY.subarray(600, 700))
    assert.match(String(outside.headers['cache-status']), /fwd=partial/)
    const whole = await rawRequest(`${app.url}/f`)
    assert.equal(whole.status, 200, 'a request without Range is not answered from pieces')
    assert.deepEqual(whole.body, BODY)
    assert.equal(app.originCalls('/f'), 3)
  })

  it('9111-3.4: 206s of one representation are combined, and once they cover it the entry is a complete 200', async () => {
    const app = await start({ '/c': rangeOrigin(() => '"v1"') })
    await rawRequest(`${app.url}/c`, { headers: { range: 'bytes=0-399' } })
    await rawRequest(`${app.url}/c`, { headers: { range: 'bytes=700-999' } })
    const across = await rawRequest(`${app.url}/c`, { headers: { range: 'bytes=300-799' } })
    assert.deepEqual(across.body, BODY.subarray(300, 800))
    assert.equal(app.originCalls('/c'), 3, 'no one piece held 300-799')
    const whole = await rawRequest(`${app.url}/c`)
    assert.ok(isHit(whole), `completed: ${String(whole.headers['cache-status'])}`)
    assert.equal(whole.status, 200)
    assert.equal(whole.headers['content-length'], '1000')
    assert.equal(whole.headers['content-range'], undefined)
    assert.deepEqual(whole.body, BODY)
    const slice = await rawRequest(`${app.url}/c`, { headers: { range: 'bytes=350-749' } })
    assert.ok(isHit(slice))
    assert.deepEqual(slice.body, BODY.subarray(350, 750))
    assert.equal(app.originCalls('/c'), 3)
  })

  it('9111-3.4: pieces of two versions (another strong ETag) are never spliced: the newer replaces the older', async () => {
    let version = 1
    const bodyOf = () => patternBytes(1000, version)
    const app = await start({ '/v': rangeOrigin(() => `"v${version}"`, bodyOf) })
    await rawRequest(`${app.url}/v`, { headers: { range: 'bytes=0-499' } })
    version = 2
    await rawRequest(`${app.url}/v`, { headers: { range: 'bytes=500-999' } })
    const whole = await rawRequest(`${app.url}/v`)
    assert.ok(!isHit(whole), 'half of v1 and half of v2 made a whole')
    assert.deepEqual(whole.body, bodyOf())
    const early = await rawRequest(`${app.url}/v`, { headers: { range: 'bytes=0-99' } })
    assert.deepEqual(early.body, bodyOf().subarray(0, 100), 'v1\'s piece was served after v2 replaced it')
  })

  it('9111-3.3: an origin that lies (a 206 body shorter than its Content-Range, or another complete length) never gets its bytes served as a range', async () => {
    let lie: 'short' | 'length' | undefined = 'short'
    const app = await start({
      '/l': (req, res) => {
        const m = /^bytes=(\d+)-(\d+)$/.exec(String(req.headers.range ?? ''))!
        const [first, last] = [Number(m[1]), Number(m[2])]
        res.statusCode = 206
        res.setHeader('cache-control', 'max-age=600')
        res.setHeader('etag', '"v1"')
        res.setHeader('content-range', `bytes ${first}-${last}/${lie === 'length' ? 2000 : 1000}`)
        res.end(lie === 'short' ? BODY.subarray(first, first + 10) : BODY.subarray(first, last + 1))
      },
    })
    await rawRequest(`${app.url}/l`, { headers: { range: 'bytes=0-499' } })
    lie = undefined
    const after = await rawRequest(`${app.url}/l`, { headers: { range: 'bytes=0-99' } })
    assert.ok(!isHit(after), 'a short piece was stored')
    assert.deepEqual(after.body, BODY.subarray(0, 100))
    lie = 'length'
    await rawRequest(`${app.url}/l`, { headers: { range: 'bytes=500-999' } })
    const whole = await rawRequest(`${app.url}/l`, { headers: { range: 'bytes=0-999' } })
    assert.ok(!isHit(whole), 'pieces of two complete lengths were joined')
  })

  it('9111-3.4: a 206 without a strong ETag is not stored', async () => {
    const app = await start({ '/w': rangeOrigin(() => 'W/"weak"') })
    await rawRequest(`${app.url}/w`, { headers: { range: 'bytes=0-499' } })
    const again = await rawRequest(`${app.url}/w`, { headers: { range: 'bytes=0-99' } })
    assert.ok(!isHit(again))
    assert.equal(app.originCalls('/w'), 2)
  })
})
