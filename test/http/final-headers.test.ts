/**
 * The storing decision reads the headers as they finally leave (DESIGN.md,
 * "Store what was really sent"): a Set-Cookie added by an on-headers hook of a
 * layer mounted before the cache (as express-session does) keeps the response
 * out of the cache. And the cache adds nothing before the route runs that
 * would change how the route's own head goes out.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { startApp } from '../helpers/http-apps.js'
import { rawRequest } from '../helpers/raw-http.js'

const require = createRequire(import.meta.url)
const onHeaders = require('on-headers') as (res: ServerResponse, listener: (this: ServerResponse) => void) => void

describe('headers as finally sent', () => {
  it('a Set-Cookie added by an on-headers hook before the cache keeps the page out of the cache', async () => {
    let visitor = 0
    const session = (_req: IncomingMessage, res: ServerResponse, next: () => void) => {
      const id = ++visitor
      onHeaders(res, function () { this.setHeader('set-cookie', `sid=visitor-${id}`) })
      next()
    }
    const app = await startApp({ '/form': (_req, res, n) => {
      res.setHeader('cache-control', 'max-age=60')
      res.end(`csrf token ${n}`)
    } }, {}, 'express5', [session])
    const a = await rawRequest(`${app.url}/form`)
    const b = await rawRequest(`${app.url}/form`)
    assert.equal(a.body.toString(), 'csrf token 1')
    assert.equal(b.body.toString(), 'csrf token 2', 'visitor B never gets visitor A\'s page')
    assert.deepEqual(b.headers['set-cookie'], ['sid=visitor-2'])
  })

  it('Connect: a raw-array writeHead with two Set-Cookie lines sends both', async () => {
    const app = await startApp({ '/two': (_req, res) => {
      res.writeHead(200, ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Cache-Control', 'max-age=60'])
      res.end('two cookies')
    } }, {}, 'connect')
    const res = await rawRequest(`${app.url}/two`)
    assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2'])
    assert.match(String(res.headers['cache-status']), /spillway/)
    const again = await rawRequest(`${app.url}/two`)
    assert.deepEqual(again.headers['set-cookie'], ['a=1', 'b=2'])
    assert.equal(app.originCalls('/two'), 2, 'not stored: it sets cookies')
  })
})
