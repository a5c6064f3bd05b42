/**
 * The plugin in real argo: a miss goes to the target and is stored from its
 * response; a hit is answered from the cache and the target never hears of
 * it; both forms of installing it (use, include) behave the same; its
 * controls (purge, purgePrefix, purgeTag, stats, events) act on what argo
 * serves.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, it } from 'node:test'
import { request } from 'undici'
import { isHit, rawRequest } from '../helpers/raw-http.js'
import { nextStoringEvent, startArgoFront, type ArgoFrontOptions } from '../helpers/argo-front.js'

function page(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('cache-control', 'public, max-age=60')
  res.setHeader('content-type', 'text/plain')
  const tag = /^\/tagged\/(\w+)/.exec(req.url ?? '')?.[1]
  if (tag !== undefined) res.setHeader('surrogate-key', tag)
  res.end(`page ${req.url}`)
}

const FORMS: Array<[string, ArgoFrontOptions['build']]> = [
  ['use(plugin)', (a, p, target) => a.use(p).target(target)],
  ['include(plugin)', (a, p, target) => a.include(p).target(target)],
  ['use(plugin) after target()', (a, p, target) => a.target(target).use(p)],
]

describe('argo plugin: hits and misses', () => {
  for (const [form, build] of FORMS) {
    it(`${form}: a miss is stored from the target's response, and the hit is answered without calling the target`, async () => {
      const front = await startArgoFront(page, { build })
      const storing = nextStoringEvent(front.plugin)
      const miss = await rawRequest(`${front.url}/a?x=1`)
      assert.equal(miss.status, 200)
      assert.equal(miss.body.toString(), 'page /a?x=1')
      assert.match(String(miss.headers['cache-status']), /spillway; fwd=uri-miss/)
      assert.deepEqual(await storing, ['stored', `${new URL(front.url).host}/a?x=1`])
      const hit = await rawRequest(`${front.url}/a?x=1`)
      assert.ok(isHit(hit), String(hit.headers['cache-status']))
      assert.equal(hit.body.toString(), 'page /a?x=1')
      assert.equal(hit.headers['content-type'], 'text/plain')
      assert.equal(front.originCalls('/a'), 1, 'the target saw the miss only')
      const stats = front.plugin.stats()
      assert.equal(stats.hits, 1)
      assert.equal(stats.misses, 1)
      assert.equal(stats.stored, 1)
    })
  }

  it('HEAD and conditional requests are answered from the GET entry', async () => {
    const front = await startArgoFront((_req, res) => {
      res.setHeader('cache-control', 'public, max-age=60')
      res.setHeader('etag', '"v1"')
      res.end('0123456789')
    })
    const storing = nextStoringEvent(front.plugin)
    await rawRequest(`${front.url}/d`)
    await storing
    const head = await rawRequest(`${front.url}/d`, { method: 'HEAD' })
    assert.ok(isHit(head))
    assert.equal(head.headers['content-length'], '10')
    assert.equal(head.body.length, 0)
    const conditional = await rawRequest(`${front.url}/d`, { headers: { 'if-none-match': '"v1"' } })
    assert.equal(conditional.status, 304)
    const range = await rawRequest(`${front.url}/d`, { headers: { range: 'bytes=2-4' } })
    assert.equal(range.status, 206)
    assert.equal(range.body.toString(), '234')
    assert.equal(front.originCalls(), 1)
  })

  it('a response the rules refuse (no-store, Set-Cookie) is passed on, not stored, and the next request reaches the target', async () => {
    const front = await startArgoFront((req, res) => {
      if (req.url === '/cookie') res.setHeader('set-cookie', 'id=1')
      res.setHeader('cache-control', req.url === '/nostore' ? 'no-store' : 'public, max-age=60')
      res.end('x')
    })
    for (const path of ['/nostore', '/cookie']) {
      const storing = nextStoringEvent(front.plugin)
      assert.equal((await rawRequest(`${front.url}${path}`)).body.toString(), 'x')
      assert.equal((await storing)[0], 'not-stored')
      assert.ok(!isHit(await rawRequest(`${front.url}${path}`)))
      assert.equal(front.originCalls(path), 2)
    }
  })

  it('POST passes through to the target with its body, and invalidates the URL after a success', async () => {
    const front = await startArgoFront((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        res.setHeader('cache-control', 'public, max-age=60')
        res.end(req.method === 'POST' ? `posted ${Buffer.concat(chunks).toString()}` : 'item')
      })
    })
    const storing = nextStoringEvent(front.plugin)
    await rawRequest(`${front.url}/item`)
    await storing
    assert.ok(isHit(await rawRequest(`${front.url}/item`)))
    const invalidated = new Promise((resolve) => front.plugin.events.once('invalidated', resolve))
    const post = await request(`${front.url}/item`, { method: 'POST', body: 'hello' })
    assert.equal(await post.body.text(), 'posted hello')
    await invalidated
    assert.ok(!isHit(await rawRequest(`${front.url}/item`)))
    assert.equal(front.originCalls('/item'), 3)
  })

  it('purge, purgePrefix and purgeTag remove what argo serves', async () => {
    const front = await startArgoFront(page)
    const host = new URL(front.url).host
    for (const path of ['/one', '/tagged/red', '/tagged/blue', '/prefix/a', '/prefix/b']) {
      const storing = nextStoringEvent(front.plugin)
      await rawRequest(`${front.url}${path}`)
      assert.equal((await storing)[0], 'stored', path)
      assert.ok(isHit(await rawRequest(`${front.url}${path}`)), path)
    }
    assert.equal(await front.plugin.purge('/one', host), 1)
    assert.equal(await front.plugin.purgeTag('red'), 1)
    assert.equal(await front.plugin.purgePrefix(`${host}/prefix/`), 2)
    for (const path of ['/one', '/tagged/red', '/prefix/a', '/prefix/b']) assert.ok(!isHit(await rawRequest(`${front.url}${path}`)), path)
    assert.ok(isHit(await rawRequest(`${front.url}/tagged/blue`)), 'another tag is left alone')
  })

  it('other plugins\' response handlers run on a miss, and what they set is stored and served on the hit', async () => {
    const front = await startArgoFront(page, {
      build: (a, p, target) => a.use(p).use((handle) => {
        handle('response', (env, next) => {
          env.response.setHeader('access-control-allow-origin', '*')
          next(env)
        })
      }).target(target),
    })
    const storing = nextStoringEvent(front.plugin)
    assert.equal((await rawRequest(`${front.url}/cors`)).headers['access-control-allow-origin'], '*')
    await storing
    const hit = await rawRequest(`${front.url}/cors`)
    assert.ok(isHit(hit))
    assert.equal(hit.headers['access-control-allow-origin'], '*')
  })

  it('argo as the origin: a route\'s env.response.body is stored, and the hit skips the route', async () => {
    let routeCalls = 0
    const front = await startArgoFront(() => {}, {
      build: (a, p) => a.use(p).get('^/hello$', (handle) => {
        handle('request', (env, next) => {
          routeCalls++
          env.response.setHeader('cache-control', 'public, max-age=60')
          env.response.body = `héllo ${routeCalls}`
          next(env)
        })
      }),
    })
    const storing = nextStoringEvent(front.plugin)
    const miss = await request(`${front.url}/hello`)
    assert.equal(await miss.body.text(), 'héllo 1')
    await storing
    const hit = await request(`${front.url}/hello`)
    assert.match(String(hit.headers['cache-status']), /hit/)
    assert.equal(await hit.body.text(), 'héllo 1')
    assert.equal(routeCalls, 1)
  })

  it('in front of map(): a target mounted under a path is cached like any other', async () => {
    const front = await startArgoFront(page, {
      build: (a, p, target) => a.use(p).map('^/api', (server) => { server.target(target) }),
    })
    const storing = nextStoringEvent(front.plugin)
    const miss = await request(`${front.url}/api/items`)
    assert.equal(await miss.body.text(), 'page /items')
    await storing
    const hit = await request(`${front.url}/api/items`)
    assert.match(String(hit.headers['cache-status']), /hit/)
    assert.equal(await hit.body.text(), 'page /items')
    assert.equal(front.originCalls('/items'), 1)
  })
})
