/**
 * The middleware options that docs/middleware-options.md documents and no
 * other suite exercises: each one changes what is stored or served as the
 * table says.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, it } from 'node:test'
import { openStore } from '../../src/index.js'
import { httpCache, type HttpCacheOptions } from '../../middleware/express.js'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

const counted = (cacheControl: string, status = 200) => (_req: IncomingMessage, res: ServerResponse, n: number) => {
  res.statusCode = status
  res.setHeader('cache-control', cacheControl)
  res.end(`v${n}`)
}

for (const framework of FRONT_ENDS) describe(`middleware options (${framework})`, () => {
  const start = startOn(framework)

  it('methods: [\'GET\'] leaves HEAD to the origin', async () => {
    const app = await start({ '/m': counted('max-age=60') }, { methods: ['GET'] })
    await rawRequest(`${app.url}/m`)
    assert.match(String((await rawRequest(`${app.url}/m`)).headers['cache-status']), /^spillway; hit/)
    const head = await rawRequest(`${app.url}/m`, { method: 'HEAD' })
    assert.equal(head.headers['cache-status'], 'spillway; fwd=method')
    assert.equal(app.originCalls('/m'), 2)
  })

  it('statuses stores only the statuses it lists', async () => {
    const app = await start({ '/ok': counted('max-age=60'), '/gone': counted('max-age=60', 410) }, { statuses: [200] })
    for (let i = 0; i < 2; i++) {
      await rawRequest(`${app.url}/ok`)
      assert.equal((await rawRequest(`${app.url}/gone`)).status, 410)
    }
    assert.equal(app.originCalls('/ok'), 1)
    assert.equal(app.originCalls('/gone'), 2, 'a 410 with max-age is not stored when statuses leaves it out')
  })

  it('sortQuery: false keeps parameter order in the key; the default sorts it', async () => {
    const sorted = await start({ '/q': counted('max-age=60') })
    await rawRequest(`${sorted.url}/q?a=1&b=2`)
    assert.match(String((await rawRequest(`${sorted.url}/q?b=2&a=1`)).headers['cache-status']), /^spillway; hit/)
    const unsorted = await start({ '/q': counted('max-age=60') }, { sortQuery: false })
    await rawRequest(`${unsorted.url}/q?a=1&b=2`)
    assert.equal((await rawRequest(`${unsorted.url}/q?b=2&a=1`)).headers['cache-status'], 'spillway; fwd=uri-miss')
  })

  it('queryAllow keys only the parameters it lists', async () => {
    const app = await start({ '/q': counted('max-age=60') }, { queryAllow: ['page'] })
    await rawRequest(`${app.url}/q?page=2&session=a`)
    const other = await rawRequest(`${app.url}/q?session=b&page=2`)
    assert.match(String(other.headers['cache-status']), /^spillway; hit/)
    assert.equal((await rawRequest(`${app.url}/q?page=3`)).headers['cache-status'], 'spillway; fwd=uri-miss')
  })

  it('tagHeader names the header whose words are the tags', async () => {
    const app = await start({
      '/t': (_req, res, n) => {
        res.setHeader('cache-control', 'max-age=60')
        res.setHeader('x-tags', 'alpha beta')
        res.end(`v${n}`)
      },
    }, { tagHeader: 'X-Tags' })
    await rawRequest(`${app.url}/t`)
    assert.equal(await app.cache.purgeTag('beta'), 1)
    assert.equal((await rawRequest(`${app.url}/t`)).body.toString(), 'v2')
  })

  it('store: a store given is used, and left open when the cache closes', async () => {
    const store = await openStore({ dir: tempDir('given-store') })
    const app = await start({ '/s': counted('max-age=60') }, { store })
    await rawRequest(`${app.url}/s`)
    await app.close()
    const keys: string[] = []
    for await (const key of store.keys()) keys.push(key)
    assert.equal(keys.length, 1, 'the response went to the given store, which is still open')
    await store.close()
  })

  it('staleRetentionMs: 0 keeps nothing past freshness, so max-stale finds nothing', async () => {
    let now = 1_700_000_000_000
    const kept = await start({ '/r': counted('max-age=1') }, { now: () => now })
    const dropped = await start({ '/r': counted('max-age=1') }, { now: () => now, staleRetentionMs: 0 })
    for (const app of [kept, dropped]) await rawRequest(`${app.url}/r`)
    now += 5_000
    const stale = await rawRequest(`${kept.url}/r`, { headers: { 'cache-control': 'max-stale=60' } })
    assert.equal(stale.body.toString(), 'v1', 'kept an hour past freshness by default: served stale')
    const gone = await rawRequest(`${dropped.url}/r`, { headers: { 'cache-control': 'max-stale=60' } })
    assert.equal(gone.body.toString(), 'v2')
    assert.equal(gone.headers['cache-status'], 'spillway; fwd=uri-miss')
  })
})

describe('middleware options checked at construction', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['statuses', { statuses: 200 }],
    ['statuses', { statuses: ['200'] }],
    ['queryAllow', { queryAllow: 'page' }],
    ['queryDeny', { queryDeny: [1] }],
    ['sortQuery', { sortQuery: 'no' }],
    ['tagHeader', { tagHeader: 5 }],
    ['tagHeader', { tagHeader: 'x tags' }],
  ]
  for (const [name, options] of bad) it(`${JSON.stringify(options)} is a TypeError naming options.${name}`, () => {
    assert.throws(() => httpCache({ dir: tempDir('bad-option'), ...options } as HttpCacheOptions),
      (err: unknown) => err instanceof TypeError && err.message.startsWith(`httpCache options.${name} must be`))
  })
})
