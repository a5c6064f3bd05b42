import createDebug from 'debug'
import type { Family } from './families.js'

const debug = createDebug('spillway:metrics')

/** One store or cache whose stats() a family reads, with the labels that tell it apart from the others. */
export interface Source<S> {
  labels: Record<string, string>
  /** What to call it in messages: 'store' or 'cache'. */
  kind: string
  /** The source's stats() for this scrape, or undefined when it has none to give (a closed store). */
  read(): S | undefined
}

/** A line of prom-client's scrape, as its Registry takes them from a metric's get(). */
interface Value {
  value: number
  labels: Record<string, string>
  metricName?: string
}

/**
 * A metric family in a prom-client Registry, read from stats() at scrape
 * time: an object with the shape of prom-client's own metrics (name, help,
 * type, aggregator, get(), reset()), as its Registry reads them, so the
 * numbers are stats()' own and no counter is kept here (DESIGN.md
 * §Operators). Several sources (stores, caches) may share a family, each
 * with labels of its own.
 */
export class FamilyMetric<S> {
  // Mutable: an OpenMetrics registry renames a counter family (without _total) as it scrapes.
  name: string
  readonly help: string
  readonly type: Family<S>['type']
  readonly aggregator: Family<S>['aggregator']
  readonly sources = new Set<Source<S>>()
  readonly #family: Family<S>

  constructor(name: string, family: Family<S>) {
    this.name = name
    this.help = family.help
    this.type = family.type
    this.aggregator = family.aggregator
    this.#family = family
  }

  /** The family as prom-client scrapes it: a source that cannot give its numbers is left out, never thrown from. */
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    const values: Value[] = []
    for (const source of this.sources) {
      try {
        const stats = source.read()
        if (stats === undefined) continue
        for (const sample of this.#family.samples(stats)) {
          values.push({
            value: sample.value,
            labels: sample.labels === undefined ? source.labels : { ...source.labels, ...sample.labels },
            metricName: sample.suffix === undefined ? undefined : this.name + sample.suffix,
          })
        }
      } catch (err) {
        debug('%s left out of the scrape of %s: %s', source.kind, this.name, err)
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  /** registry.resetMetrics() calls it: the numbers are stats()', which a scrape has no business resetting. */
  reset(): void {}
}

/**
 * `stats` read once per scrape: prom-client asks every family of a
 * registry for its values in one turn of the event loop, so the families
 * of one source all show the same snapshot (hits and misses that add up).
 */
export function oncePerScrape<S>(stats: () => S | undefined, kind: string): () => S | undefined {
  let taken = false
  let value: S | undefined
  return () => {
    if (!taken) {
      taken = true
      try {
        value = stats()
      } catch (err) {
        value = undefined
        debug('%s stats() failed, left out of the scrape: %s', kind, err)
      }
      queueMicrotask(() => {
        taken = false
        value = undefined
      })
    }
    return value
  }
}
