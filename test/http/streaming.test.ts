/**
 * Streaming: whatever way the origin writes its body (many res.write calls,
 * stream.pipe(res), Express res.sendFile), the cache keeps exactly the bytes
 * the client got and answers the next request without the origin. Bodies past
 * maxEntryBytes, responses the client abandons and responses the origin
 * breaks off are never stored.
 */
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { Readable } from 'node:stream'
import type { ServerResponse } from 'node:http'
import type { Response as ExpressResponse } from 'express'
import { FRAMEWORKS, startApp, type Route, type TestApp } from '../helpers/http-apps.js'
import { tempDir } from '../helpers/temp-dir.js'
import { abortAfterFirstChunk, isHit, patternBytes, rawRequest } from '../helpers/raw-http.js'

const MAX_ENTRY = 512 * 1024
const CACHEABLE = 'public, max-age=600'

/** Splits `body` into pieces of irregular sizes (1 byte to ~2 KiB), so the tee sees many writes. */
function irregularChunks(body: Buffer): Buffer[] {
  const out: Buffer[] = []
  let at = 0
  let i = 0
  while (at < body.byteLength) {
    const size = 1 + ((i * 7919) % 2048)
    out.push(body.subarray(at, at + size))
    at += size
    i++
  }
  return out
}

/** A 200 written through res.write in many chunks, across event-loop turns, then res.end(). */
function chunkedRoute(body: Buffer, contentType = 'application/octet-stream'): Route {
  return (_req, res) => {
    res.setHeader('content-type', contentType)
    res.setHeader('cache-control', CACHEABLE)
    const chunks = irregularChunks(body)
    let i = 0
    const step = () => {
      // A few writes per turn, mixing Buffers and latin1 strings.
      for (let n = 0; n < 8 && i < chunks.length; n++, i++) {
        if (i % 3 === 0) res.write(chunks[i].toString('latin1'), 'latin1')
        else res.write(chunks[i])
      }
      if (i < chunks.length) setImmediate(step)
      else res.end()
    }
    step()
  }
}

/** A body that arrives in pieces over time; stops writing when the response closes. */
function slowRoute(body: Buffer, pieces: number, intervalMs: number, closes: Array<Promise<boolean>>): Route {
  return (_req, res) => {
    closes.push(new Promise((resolve) => res.once('close', () => resolve(res.writableFinished))))
    res.setHeader('content-type', 'application/octet-stream')
    res.setHeader('cache-control', CACHEABLE)
    const size = Math.ceil(body.byteLength / pieces)
    let at = 0
    let timer: NodeJS.Timeout | undefined
    const tick = () => {
      if (res.destroyed) return
      const next = Math.min(at + size, body.byteLength)
      if (next >= body.byteLength) return void res.end(body.subarray(at))
      res.write(body.subarray(at, next))
      at = next
      timer = setTimeout(tick, intervalMs)
    }
    res.once('close', () => clearTimeout(timer))
    tick()
  }
}

/** First call: headers and part of the body, then `breakOff`; later calls: the whole body. */
function breaksOnFirstCall(body: Buffer, breakOff: (res: ServerResponse) => void): Route {
  return (_req, res, hit) => {
    res.setHeader('content-type', 'application/octet-stream')
    res.setHeader('cache-control', CACHEABLE)
    res.setHeader('content-length', String(body.byteLength))
    if (hit > 1) return void res.end(body)
    res.write(body.subarray(0, 1024))
    breakOff(res)
  }
}

for (const framework of FRAMEWORKS) {
  // res.sendFile is Express's: not in Connect, nor on the proxy's or argo's plain node:http origin.
  const express = framework === 'express5' || framework === 'express4'
  const dir = tempDir('streaming-files')
  const bodies = {
    chunks: patternBytes(300 * 1024, 11),
    text: Buffer.from('héllo wörld, ünïcode ✓ '.repeat(4000), 'utf8'),
    pipe: patternBytes(200 * 1024, 12),
    fsPipe: patternBytes(150 * 1024, 13),
    sendFile: patternBytes(400 * 1024, 14),
    exact: patternBytes(MAX_ENTRY, 15),
    overByOne: patternBytes(MAX_ENTRY + 1, 16),
    big: patternBytes(MAX_ENTRY * 2 + 333, 17),
    bigOneWrite: patternBytes(MAX_ENTRY + 4096, 18),
    slow: patternBytes(64 * 1024, 19),
    headArray: patternBytes(50 * 1024, 23),
    destroyed: patternBytes(32 * 1024, 20),
    thrown: patternBytes(32 * 1024, 21),
  }
  const fsPipeFile = path.join(dir, 'fs-pipe.bin')
  const sendFileFile = path.join(dir, 'send-file.bin')
  fs.writeFileSync(fsPipeFile, bodies.fsPipe)
  fs.writeFileSync(sendFileFile, bodies.sendFile)
  const slowCloses: Array<Promise<boolean>> = []

  const routes: Record<string, Route> = {
    '/chunks': chunkedRoute(bodies.chunks),
    '/text': chunkedRoute(bodies.text, 'text/plain; charset=utf-8'),
    '/pipe': (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream')
      res.setHeader('cache-control', CACHEABLE)
      // Readable.from() of an array of Buffers: one chunk per element.
      Readable.from(irregularChunks(bodies.pipe), { objectMode: false }).pipe(res)
    },
    '/fs-pipe': (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream')
      res.setHeader('cache-control', CACHEABLE)
      fs.createReadStream(fsPipeFile, { highWaterMark: 4096 }).pipe(res)
    },
    '/exact': chunkedRoute(bodies.exact),
    '/over-by-one': chunkedRoute(bodies.overByOne),
    '/big': chunkedRoute(bodies.big),
    '/big-one-write': (_req, res) => {
      res.setHeader('content-type', 'application/octet-stream')
      res.setHeader('cache-control', CACHEABLE)
      res.end(bodies.bigOneWrite)
    },
    // writeHead's headers as a flat [name, value, …] list (node:http supports it), body in chunks.
    '/writehead-array': (_req, res) => {
      res.writeHead(200, ['Content-Type', 'application/x-spillway-test', 'Cache-Control', CACHEABLE, 'X-Origin', 'array'])
      for (const chunk of irregularChunks(bodies.headArray)) res.write(chunk)
      res.end()
    },
    '/slow': slowRoute(bodies.slow, 32, 8, slowCloses),
    '/destroyed': breaksOnFirstCall(bodies.destroyed, (res) => setTimeout(() => res.destroy(), 10)),
    '/thrown': breaksOnFirstCall(bodies.thrown, () => {
      throw new Error('origin failed after sending headers (expected by the test)')
    }),
  }
  if (express) {
    routes['/send-file'] = (_req, res) => {
      (res as unknown as ExpressResponse).sendFile(sendFileFile, { maxAge: 600_000 })
    }
  }

  // Started at the top level, not in a before() hook: startApp registers its own after(close), and node:test
  // runs an after() registered inside a before() hook as soon as that hook returns.
  const app: TestApp = await startApp(routes, { maxEntryBytes: MAX_ENTRY }, framework)

  describe(`streaming bodies (${framework})`, () => {
    after(async () => {
      await app.close()
    })

    /** Two GETs: the first from the origin, the second a hit, both byte-for-byte the origin's body. */
    async function assertCachedExactly(route: string, body: Buffer): Promise<void> {
      const first = await rawRequest(app.url + route)
      assert.equal(first.status, 200)
      assert.ok(first.body.equals(body), `${route}: the first response differs from the origin's body (${first.body.byteLength} vs ${body.byteLength} bytes)`)
      assert.equal(app.originCalls(route), 1)
      const second = await rawRequest(app.url + route)
      assert.equal(second.status, 200)
      assert.equal(app.originCalls(route), 1, `${route}: the second request reached the origin`)
      assert.ok(isHit(second), `${route}: Cache-Status of the second response is ${String(second.headers['cache-status'])}`)
      assert.ok(second.body.equals(body), `${route}: the cached body differs from the origin's (${second.body.byteLength} vs ${body.byteLength} bytes)`)
      assert.equal(second.headers['content-length'], String(body.byteLength))
    }

    /** Two GETs that both reach the origin and both get the whole body. */
    async function assertPassedThrough(route: string, body: Buffer): Promise<void> {
      const storedBefore = app.cache.stats().stored
      for (let n = 1; n <= 2; n++) {
        const res = await rawRequest(app.url + route)
        assert.equal(res.status, 200)
        assert.ok(res.body.equals(body), `${route}: response ${n} differs from the origin's body (${res.body.byteLength} vs ${body.byteLength} bytes)`)
        assert.equal(app.originCalls(route), n, `${route}: request ${n} did not reach the origin`)
        assert.ok(!isHit(res), `${route}: response ${n} claims to be a hit`)
      }
      assert.equal(app.cache.stats().stored, storedBefore, `${route}: something was stored`)
    }

    it('caches a body written through many res.write calls byte-for-byte', async () => {
      await assertCachedExactly('/chunks', bodies.chunks)
    })

    it('caches multi-byte UTF-8 text written as latin1 strings and Buffers byte-for-byte', async () => {
      await assertCachedExactly('/text', bodies.text)
    })

    it('caches a body written through stream.pipe(res) byte-for-byte', async () => {
      await assertCachedExactly('/pipe', bodies.pipe)
    })

    it('caches a file piped from fs.createReadStream in 4 KiB chunks byte-for-byte', async () => {
      await assertCachedExactly('/fs-pipe', bodies.fsPipe)
    })

    it('caches a res.sendFile response byte-for-byte, with its validators', { skip: !express && 'res.sendFile is Express-only' }, async () => {
      await assertCachedExactly('/send-file', bodies.sendFile)
      const third = await rawRequest(app.url + '/send-file')
      assert.ok(third.headers.etag !== undefined, 'the hit lost the ETag sendFile set')
      assert.ok(third.headers['last-modified'] !== undefined, 'the hit lost the Last-Modified sendFile set')
      assert.equal(app.originCalls('/send-file'), 1)
    })

    it('caches a chunked body whose headers went to writeHead as a flat array, headers included', async () => {
      await assertCachedExactly('/writehead-array', bodies.headArray)
      const third = await rawRequest(app.url + '/writehead-array')
      assert.equal(third.headers['content-type'], 'application/x-spillway-test')
      assert.equal(third.headers['x-origin'], 'array')
    })

    it('stores a body of exactly maxEntryBytes', async () => {
      await assertCachedExactly('/exact', bodies.exact)
    })

    it('passes a body one byte over maxEntryBytes through intact and does not store it', async () => {
      await assertPassedThrough('/over-by-one', bodies.overByOne)
    })

    it('passes a body twice maxEntryBytes, written in chunks, through intact and does not store it', async () => {
      await assertPassedThrough('/big', bodies.big)
    })

    it('passes a body over maxEntryBytes given to res.end in one Buffer through intact and does not store it', async () => {
      await assertPassedThrough('/big-one-write', bodies.bigOneWrite)
    })

    it('does not store a response the client aborted mid-way', async () => {
      const storedBefore = app.cache.stats().stored
      const partial = await abortAfterFirstChunk(app.url + '/slow')
      assert.equal(partial.status, 200)
      assert.ok(partial.body.byteLength < bodies.slow.byteLength, 'the client got the whole body before it could abort')
      assert.equal(slowCloses.length, 1)
      assert.equal(await slowCloses[0], false, 'the origin finished the response the client aborted')
      assert.equal(app.cache.stats().stored, storedBefore, 'the aborted response was stored')

      const full = await rawRequest(app.url + '/slow')
      assert.equal(full.status, 200)
      assert.equal(app.originCalls('/slow'), 2, 'the request after the abort did not reach the origin')
      assert.ok(!isHit(full))
      assert.ok(full.body.equals(bodies.slow), `the full response differs from the origin's body (${full.body.byteLength} vs ${bodies.slow.byteLength} bytes)`)

      // The complete response is stored: the third request is a hit with the whole body.
      const third = await rawRequest(app.url + '/slow')
      assert.equal(app.originCalls('/slow'), 2)
      assert.ok(isHit(third))
      assert.ok(third.body.equals(bodies.slow))
    })

    it('does not store a response the origin destroyed after sending headers and part of the body', async () => {
      const storedBefore = app.cache.stats().stored
      await assert.rejects(rawRequest(app.url + '/destroyed'), 'the client should see the response cut short')
      assert.equal(app.cache.stats().stored, storedBefore, 'the broken response was stored')
      const next = await rawRequest(app.url + '/destroyed')
      assert.equal(app.originCalls('/destroyed'), 2, 'the request after the failure did not reach the origin')
      assert.equal(next.status, 200)
      assert.ok(!isHit(next))
      assert.ok(next.body.equals(bodies.destroyed))
      const third = await rawRequest(app.url + '/destroyed')
      assert.equal(app.originCalls('/destroyed'), 2)
      assert.ok(third.body.equals(bodies.destroyed))
    })

    it('does not store a response whose origin threw after sending headers and part of the body', async () => {
      const storedBefore = app.cache.stats().stored
      if (framework === 'argo') {
        // The origin is another server: the reset may reach argo before the head does, and argo then answers 503.
        const first = await rawRequest(app.url + '/thrown').catch((err: Error) => err)
        assert.ok(first instanceof Error || first.status === 503, 'the client should see the response cut short, or an error status')
      } else {
        await assert.rejects(rawRequest(app.url + '/thrown'), 'the client should see the response cut short')
      }
      assert.equal(app.cache.stats().stored, storedBefore, 'the broken response was stored')
      const next = await rawRequest(app.url + '/thrown')
      assert.equal(app.originCalls('/thrown'), 2, 'the request after the failure did not reach the origin')
      assert.equal(next.status, 200)
      assert.ok(!isHit(next))
      assert.ok(next.body.equals(bodies.thrown))
      const third = await rawRequest(app.url + '/thrown')
      assert.equal(app.originCalls('/thrown'), 2)
      assert.ok(third.body.equals(bodies.thrown))
    })
  })
}
