/**
 * `spillway/argo`: RFC 9111 response caching as a plugin for argo 1.0.1.
 *
 *   import argo from 'argo'
 *   import { argoCache } from 'spillway/argo'
 *   const cache = argoCache({ dir: './.cache/argo' })
 *   argo().use(cache).target('http://127.0.0.1:3000').listen(8080)
 *
 * The same object is also an argo package: `argo().include(cache)`.
 */
import { httpCache, type HttpCacheControls } from './core/http-cache.js'
import type { HttpCacheOptions } from './core/options.js'
import { frameForClient } from './argo/framing.js'
import type { ArgoEnv, ArgoHandle, ArgoHost, ArgoPackage, ArgoPlugin } from './argo/argo-shapes.js'

export type { HttpCacheOptions } from './core/options.js'
export type { HttpCacheStats } from './core/http-cache.js'
export type { ArgoApp, ArgoEnv, ArgoHandle, ArgoHost, ArgoPackage, ArgoPlugin } from './argo/argo-shapes.js'

/** The plugin: pass it to `argo().use()` or `argo().include()`; it carries the cache's controls. */
export type ArgoCachePlugin = ArgoPlugin & ArgoPackage & HttpCacheControls

/**
 * An argo plugin that answers hits from a spillway store without calling
 * the target, and stores misses from the target's response, by the rules of
 * `spillway/express` (middleware/core/http-cache.ts does all the caching; this
 * file only sits it in argo's pipelines). Options are httpCache's.
 *
 * - Its request handler runs the cache on env.request/env.response. A hit is
 *   written there and then, and the pipeline stops: no later request
 *   handler, no target, no response handler runs. A miss goes on down the
 *   pipeline to the target, with the response teed for storing.
 * - Its 'sink' response handler runs after every other response handler,
 *   just before argo's own reply path, and puts the response in a shape that
 *   path sends as valid HTTP/1.1, streamed (argo/framing.ts). It does so for
 *   every response of the app, cached or not.
 *
 * Where argo itself misbehaves around it, README "Argo plugin" says how.
 */
export function argoCache(options: HttpCacheOptions): ArgoCachePlugin {
  const cache = httpCache(options)
  const framed = new WeakSet<ArgoEnv>()
  const handlers = (handle: ArgoHandle) => {
    handle('request', (env, next) => {
      cache(env.request, env.response, () => next(env))
    })
    handle('response', { affinity: 'sink' }, (env, next) => {
      if (frameForClient(env, framed)) next(env)
    })
  }
  const plugin = ((handle: ArgoHandle) => handlers(handle)) as ArgoCachePlugin
  // argo's use() takes anything with a `package` for a package, so use(plugin) installs through here too.
  plugin.package = (argo: ArgoHost) => ({
    name: 'spillway',
    install: () => { argo.use(handlers) },
  })
  plugin.purge = cache.purge
  plugin.purgePrefix = cache.purgePrefix
  plugin.purgeTag = cache.purgeTag
  plugin.stats = cache.stats
  plugin.store = cache.store
  plugin.events = cache.events
  plugin.ready = cache.ready
  plugin.close = cache.close
  return plugin
}
