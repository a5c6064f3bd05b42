/**
 * The caching proxy's dashboard: `createCachingProxy({ dashboard: PATH })`
 * and `spillway proxy --dashboard PATH` serve it at PATH instead of
 * forwarding, with the proxy's own numbers, and shut down without waiting
 * on its event streams.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createCachingProxy } from '../../middleware/proxy.js'
import { outcomesOf } from '../../middleware/dashboard/outcomes.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startOrigin, startProxy } from '../proxy/proxy-process.js'
import { asSent, openEvents } from './event-source.js'

const cached = (_req: unknown, res: import('node:http').ServerResponse, n: number) => {
  res.setHeader('cache-control', 'max-age=600')
  res.end(`origin ${n}`)
}

describe('the proxy\'s dashboard', () => {
  // The timeout only bounds a failure: a shutdown that waits on the stream would wait out the 600 s grace period.
  it('is served at its path, not forwarded, with the proxy\'s stats(); other paths still go to the origin', { timeout: 300_000 }, async () => {
    const origin = await startOrigin({ '/a': cached, '/_spillwayx': cached })
    const proxy = createCachingProxy({ target: origin.url, dir: tempDir('proxy-dashboard'), admission: 'always', dashboard: '/_spillway' })
    const listening = await proxy.listen(0)
    try {
      for (let n = 0; n < 3; n++) await (await fetch(`${listening.url}/a`)).text()
      assert.equal(proxy.stats().hits, 2)

      const redirect = await fetch(`${listening.url}/_spillway`, { redirect: 'manual' })
      assert.equal(redirect.status, 301)
      const page = await fetch(`${listening.url}/_spillway/`)
      assert.equal(page.status, 200)
      assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
      assert.ok(page.headers.get('content-security-policy'))
      const events = await openEvents(`${listening.url}/_spillway/events`)
      const sample = await events.next()
      assert.deepEqual(sample.http, asSent(proxy.stats()))
      assert.deepEqual(sample.outcomes, outcomesOf(proxy.stats()))
      assert.deepEqual(sample.store, asSent(proxy.store()?.stats()))
      assert.match(sample.label, /^proxy to http:\/\/127\.0\.0\.1:\d+$/)
      assert.equal(origin.calls('/_spillway'), 0)
      assert.equal(origin.calls(), 1, 'only /a reached the origin, once')
      assert.equal((await fetch(`${listening.url}/_spillwayx`)).status, 200)
      assert.equal(origin.calls('/_spillwayx'), 1, 'a path that only starts like the dashboard\'s is forwarded')

      // Shutdown ends the stream cleanly at its start, instead of waiting out the grace period on it.
      const closed = listening.close(600_000)
      await events.ended
      await closed
    } finally {
      listening.server.closeAllConnections()
      await listening.close()
    }
  })

  for (const path of ['/', 'x', '/a/', '/a?b=1', '/a/../b', '/./a', '/a b', 7]) {
    it(`refuses dashboard: ${JSON.stringify(path)} with a TypeError naming the option`, () => {
      assert.throws(() => createCachingProxy({ target: 'http://127.0.0.1:1', dir: tempDir('proxy-bad'), dashboard: path as string }),
        (err: unknown) => err instanceof TypeError && /options\.dashboard must be a path/.test(err.message))
    })
  }
})

describe('spillway proxy --dashboard', () => {
  it('serves the page and its stream at the path, and SIGTERM ends the stream and exits 0', async () => {
    const origin = await startOrigin({ '/a': cached })
    const proxy = await startProxy(origin.url, ['--dashboard', '/_spillway'])
    const page = await fetch(`${proxy.url}/_spillway/`)
    assert.equal(page.status, 200)
    assert.match(await page.text(), /<title>spillway dashboard<\/title>/)
    await (await fetch(`${proxy.url}/a`)).text()
    const events = await openEvents(`${proxy.url}/_spillway/events`)
    const sample = await events.until((s) => s.outcomes?.miss === 1)
    assert.equal(sample.http!.misses, 1)
    assert.equal(origin.calls(), 1, 'the dashboard\'s requests never reached the origin')
    assert.equal(await proxy.stop('SIGTERM'), 0, proxy.stderr())
    await events.ended
  })
})
