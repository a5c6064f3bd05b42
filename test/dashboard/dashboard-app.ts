/**
 * An Express 5 app behind the cache, with the cache's dashboard mounted
 * before it at /_spillway, on port 0: the front end the dashboard tests use.
 */
import { once } from 'node:events'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after } from 'node:test'
import express from 'express'
import { httpCache, type Dashboard, type DashboardOptions, type HttpCacheMiddleware } from '../../middleware/express.js'
import { tempDir } from '../helpers/temp-dir.js'

export interface DashboardApp {
  url: string
  /** The dashboard's URL: `${url}/_spillway/`. */
  dashboardUrl: string
  server: Server
  cache: HttpCacheMiddleware
  dashboard: Dashboard
  /** GETs `path` through the cache and resolves once its response is stored (or not) and the stats count it. */
  get(path: string): Promise<string>
  close(): Promise<void>
}

/** `closeAfterTest: false` for an app started in a `before` hook (node:test's after() there would close it at the hook's end). */
export async function startDashboardApp(options: DashboardOptions = {}, closeAfterTest = true): Promise<DashboardApp> {
  const cache = httpCache({ dir: tempDir('dashboard'), admission: 'always' })
  await cache.purgeTag('spillway-test-ready')
  const dashboard = cache.dashboard({ intervalMs: 20, ...options })
  const app = express()
  app.use('/_spillway', dashboard)
  app.use(cache)
  app.get('/page/:n', (req, res) => {
    res.set('cache-control', 'max-age=600')
    res.send(`page ${req.params.n}`)
  })
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  let closing: Promise<void> | undefined
  const close = () => (closing ??= (async () => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()))
    await cache.close()
    server.closeAllConnections()
    await closed
  })())
  if (closeAfterTest) after(close)
  return {
    url,
    dashboardUrl: `${url}/_spillway/`,
    server,
    cache,
    dashboard,
    async get(path) {
      const hits = cache.stats().hits
      let done = () => {}
      // A miss is counted when it is forwarded, and settles when it is stored or refused; a hit is counted before it is sent.
      const settled = new Promise<void>((resolve) => { done = resolve })
      cache.events.on('stored', done).on('not-stored', done)
      try {
        const res = await fetch(url + path)
        const body = await res.text()
        if (res.headers.get('cache-status')?.includes('hit') === true) {
          if (cache.stats().hits <= hits) throw new Error('the hit was not counted')
        } else await settled
        return body
      } finally {
        cache.events.off('stored', done).off('not-stored', done)
      }
    },
    close,
  }
}
