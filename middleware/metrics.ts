/**
 * `spillway/metrics`: a store's and an HTTP cache's numbers in a
 * prom-client Registry, read from their stats() at each scrape.
 *
 *   import { register } from 'prom-client'
 *   import { registerSpillwayMetrics } from 'spillway/metrics'
 *   registerSpillwayMetrics({ store, cache })
 *   app.get('/metrics', async (req, res) => res.type(register.contentType).send(await register.metrics()))
 *
 * prom-client is an optional peer dependency: only this entry point uses it,
 * and only when no `registry` is given is it loaded (for its default one).
 */
import { createRequire } from 'node:module'
import type { Registry } from 'prom-client'
import { SpillwayError, type StoreStats } from '../src/index.js'
import type { HttpCacheStats } from './core/http-stats.js'
import { FAMILY_LABELS, HTTP_FAMILIES, STORE_FAMILIES, type Family } from './metrics/families.js'
import { FamilyMetric, oncePerScrape, type Source } from './metrics/family-metric.js'

export type { HttpCacheStats, HttpOutcome, OriginLatency } from './core/http-stats.js'

export interface SpillwayMetricsOptions {
  /** A store (`openStore`): its tiers, journals, compactions, evictions, corruptions and background errors. */
  store?: { stats(): StoreStats; readonly closed?: boolean }
  /**
   * An HTTP cache (`httpCache`, `argoCache`, `createCachingProxy`): its
   * responses by outcome and the origin's latency; and, when `store` is not
   * given, the numbers of the store under it (`cache.store()`), once open.
   */
  cache?: { stats(): HttpCacheStats; store?(): { stats(): StoreStats; readonly closed?: boolean } | undefined }
  /** The registry the metrics join. @default prom-client's global `register` */
  registry?: Registry
  /** Put before every metric name. @default 'spillway_' */
  prefix?: string
  /**
   * Labels on every series of this store and cache, to tell them apart from
   * others registered in the same registry (which must then use the same
   * label names): `{ cache: 'pages' }`. @default {}
   */
  labels?: Record<string, string>
}

export interface SpillwayMetrics {
  /** The metric names registered (or joined, when another store or cache registered them first). */
  readonly names: readonly string[]
  /** Takes this store and cache out of the registry; a family no other source reads is removed. */
  unregister(): void
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/**
 * Registers the metrics of `store` and `cache` (one of them at least) in a
 * prom-client Registry. Each family reads stats() when the registry is
 * scraped, and keeps no count of its own. Several stores and caches may
 * share a registry when each has `labels` of its own; a second one with the
 * same labels is refused with a TypeError, as is a name the registry holds
 * for a metric that is not spillway's. Nothing is registered when it throws.
 */
export function registerSpillwayMetrics(options: SpillwayMetricsOptions): SpillwayMetrics {
  if (options === null || typeof options !== 'object') throw new TypeError('registerSpillwayMetrics options must be an object')
  const { store, cache, prefix = 'spillway_', labels = {} } = options
  if (store !== undefined && typeof store?.stats !== 'function') throw new TypeError('registerSpillwayMetrics options.store must be a spillway store (openStore)')
  if (cache !== undefined && typeof cache?.stats !== 'function') {
    throw new TypeError('registerSpillwayMetrics options.cache must be a spillway HTTP cache (httpCache, argoCache or createCachingProxy)')
  }
  if (store === undefined && cache === undefined) throw new TypeError('registerSpillwayMetrics options.store or options.cache must be given')
  if (store?.closed === true) throw new SpillwayError('ERR_STORE_CLOSED', 'registerSpillwayMetrics options.store is closed')
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw new TypeError(`registerSpillwayMetrics options.prefix must be '' or start a Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*), not ${JSON.stringify(prefix)}`)
  }
  checkLabels(labels)
  const registry = options.registry ?? defaultRegistry()
  if (registry === null || typeof registry !== 'object' || typeof registry.registerMetric !== 'function' ||
    typeof registry.getSingleMetric !== 'function' || typeof registry.removeSingleMetric !== 'function') {
    throw new TypeError('registerSpillwayMetrics options.registry must be a prom-client Registry')
  }

  const joins: Array<{ name: string; metric: FamilyMetric<never>; source: Source<never> }> = []
  const plan = <S>(families: Family<S>[], source: Source<S>) => {
    for (const family of families) {
      const name = prefix + family.name
      const existing = registry.getSingleMetric(name) as unknown
      if (existing !== undefined && !(existing instanceof FamilyMetric)) {
        throw new TypeError(`registerSpillwayMetrics: the registry has a metric named ${name} already, not spillway's; pass options.prefix`)
      }
      if (existing instanceof FamilyMetric) checkApart(existing as FamilyMetric<S>, source, name)
      joins.push({ name, metric: (existing ?? new FamilyMetric(name, family)) as FamilyMetric<never>, source: source as Source<never> })
    }
  }
  // A cache's own store is looked up at each scrape: it may open after this call.
  const storeNow = store !== undefined ? () => store : typeof cache?.store === 'function' ? () => cache.store!() : undefined
  if (storeNow !== undefined) {
    plan(STORE_FAMILIES, { kind: 'store', labels: { ...labels }, read: oncePerScrape(() => {
      const open = storeNow()
      return open === undefined || open.closed === true ? undefined : open.stats()
    }, 'store') })
  }
  if (cache !== undefined) plan(HTTP_FAMILIES, { kind: 'cache', labels: { ...labels }, read: oncePerScrape(() => cache.stats(), 'cache') })

  // Every check passed: now change the registry.
  for (const { metric, source } of joins) {
    if (metric.sources.size === 0) registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0])
    metric.sources.add(source)
  }
  let registered = true
  return {
    names: joins.map((join) => join.name),
    unregister() {
      if (!registered) return
      registered = false
      for (const { name, metric, source } of joins) {
        metric.sources.delete(source)
        if (metric.sources.size === 0 && (registry.getSingleMetric(name) as unknown) === metric) registry.removeSingleMetric(name)
      }
    },
  }
}

function checkLabels(labels: unknown): asserts labels is Record<string, string> {
  if (labels === null || typeof labels !== 'object' || Array.isArray(labels)) throw new TypeError('registerSpillwayMetrics options.labels must be an object of strings')
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || FAMILY_LABELS.includes(name)) {
      throw new TypeError(`registerSpillwayMetrics options.labels must use Prometheus label names other than ${FAMILY_LABELS.join(', ')}; ${JSON.stringify(name)} is not one`)
    }
    if (typeof value !== 'string') throw new TypeError(`registerSpillwayMetrics options.labels.${name} must be a string`)
  }
}

/** A family's sources must be told apart by their labels, all of the same names (one family, one label set). */
function checkApart<S>(metric: FamilyMetric<S>, source: Source<S>, name: string): void {
  const names = Object.keys(source.labels).sort().join()
  for (const other of metric.sources) {
    const otherNames = Object.keys(other.labels).sort().join()
    if (otherNames !== names) {
      throw new TypeError(`registerSpillwayMetrics options.labels must have the names the ${other.kind} already in ${name} has (${otherNames || 'none'}), not ${names || 'none'}`)
    }
    if (Object.entries(source.labels).every(([label, value]) => other.labels[label] === value)) {
      throw new TypeError(`registerSpillwayMetrics: ${name} already reads a ${other.kind} with labels ${JSON.stringify(other.labels)}; ` +
        `give each store and cache in one registry options.labels of its own, as { cache: 'pages' }`)
    }
  }
}

/** prom-client's global registry, loaded only now: spillway itself runs without prom-client. */
function defaultRegistry(): Registry {
  try {
    return (createRequire(import.meta.url)('prom-client') as typeof import('prom-client')).register
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err
    throw new SpillwayError('ERR_PEER_MISSING',
      'spillway/metrics needs prom-client, an optional peer dependency: npm install prom-client@15, or pass options.registry', { cause: err })
  }
}
