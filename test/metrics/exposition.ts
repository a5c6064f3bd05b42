/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4),
 * for the metrics tests: it throws on any line the format does not allow,
 * on HELP or TYPE given twice or after a family's samples, on samples of a
 * family split apart, and on a histogram whose buckets are not cumulative
 * or whose +Inf bucket is not its _count.
 */

export interface ExpoSample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface ExpoFamily {
  name: string
  help: string
  type: string
  samples: ExpoSample[]
}

const METRIC_NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*'
const HELP_LINE = new RegExp(`^# HELP (${METRIC_NAME}) (.*)$`)
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`)
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`)
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/

export function parseExposition(text: string): Map<string, ExpoFamily> {
  const families = new Map<string, ExpoFamily>()
  let current: ExpoFamily | undefined
  const closed = new Set<string>()
  const familyOf = (name: string) => {
    const family = families.get(name)
    if (family !== undefined) return family
    const created: ExpoFamily = { name, help: '', type: '', samples: [] }
    families.set(name, created)
    return created
  }
  const enter = (family: ExpoFamily) => {
    if (current !== family) {
      if (current !== undefined) closed.add(current.name)
      if (closed.has(family.name)) throw new Error(`family ${family.name} split apart`)
      current = family
    }
  }
  for (const line of text.split('\n')) {
    if (line === '') continue
    let m = HELP_LINE.exec(line)
    if (m !== null) {
      const family = familyOf(m[1])
      enter(family)
      if (family.help !== '' || family.samples.length > 0) throw new Error(`HELP of ${m[1]} twice or after its samples`)
      family.help = m[2]
      continue
    }
    m = TYPE_LINE.exec(line)
    if (m !== null) {
      const family = familyOf(m[1])
      enter(family)
      if (family.type !== '' || family.samples.length > 0) throw new Error(`TYPE of ${m[1]} twice or after its samples`)
      family.type = m[2]
      continue
    }
    if (line.startsWith('#')) continue
    m = SAMPLE_LINE.exec(line)
    if (m === null) throw new Error(`not an exposition line: ${JSON.stringify(line)}`)
    const [, name, labelText, valueText] = m
    const family = current !== undefined && ownedBy(current, name) ? current : familyOf(name)
    enter(family)
    family.samples.push({ name, labels: parseLabels(labelText ?? '', line), value: parseValue(valueText, line) })
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family)
  return families
}

/** Whether sample `name` belongs to `family`: its own name, or a histogram's or summary's suffixed lines. */
function ownedBy(family: ExpoFamily, name: string): boolean {
  if (name === family.name) return true
  const suffixes = family.type === 'histogram' ? ['_bucket', '_sum', '_count'] : family.type === 'summary' ? ['_sum', '_count'] : []
  return suffixes.some((suffix) => name === family.name + suffix)
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {}
  let rest = text
  while (rest !== '') {
    const m = LABEL.exec(rest)
    if (m === null) throw new Error(`bad labels in ${JSON.stringify(line)}`)
    if (m[1] in labels) throw new Error(`label ${m[1]} twice in ${JSON.stringify(line)}`)
    labels[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c))
    rest = rest.slice(m[0].length)
  }
  return labels
}

function parseValue(text: string, line: string): number {
  if (text === '+Inf') return Infinity
  if (text === '-Inf') return -Infinity
  if (text === 'NaN') return NaN
  const value = Number(text)
  if (text === '' || Number.isNaN(value)) throw new Error(`bad value in ${JSON.stringify(line)}`)
  return value
}

/** Per label set (le aside): buckets ascending in le, cumulative, the last +Inf, equal to _count. */
function checkHistogram(family: ExpoFamily): void {
  const groups = new Map<string, ExpoSample[]>()
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels
    const key = JSON.stringify(rest)
    groups.set(key, [...(groups.get(key) ?? []), sample])
    if (sample.name.endsWith('_bucket') && le === undefined) throw new Error(`${family.name} bucket without le`)
  }
  for (const [key, samples] of groups) {
    const buckets = samples.filter((s) => s.name === `${family.name}_bucket`)
    const count = samples.find((s) => s.name === `${family.name}_count`)
    if (count === undefined || samples.find((s) => s.name === `${family.name}_sum`) === undefined) throw new Error(`${family.name}${key} lacks _sum or _count`)
    const bounds = buckets.map((b) => parseValue(b.labels.le, b.labels.le))
    if (bounds[bounds.length - 1] !== Infinity) throw new Error(`${family.name}${key}: the last bucket is not +Inf`)
    for (let i = 1; i < buckets.length; i++) {
      if (!(bounds[i] > bounds[i - 1])) throw new Error(`${family.name}${key}: le not ascending`)
      if (buckets[i].value < buckets[i - 1].value) throw new Error(`${family.name}${key}: buckets not cumulative`)
    }
    if (buckets[buckets.length - 1].value !== count.value) throw new Error(`${family.name}${key}: +Inf bucket is not _count`)
  }
}

/** The value of the one sample of `family` (by sample name) whose labels include `labels`. */
export function valueOf(families: Map<string, ExpoFamily>, family: string, labels: Record<string, string> = {}, sampleName = family): number {
  const found = families.get(family)?.samples.filter((s) => s.name === sampleName && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) ?? []
  if (found.length !== 1) throw new Error(`${found.length} samples of ${sampleName}${JSON.stringify(labels)}`)
  return found[0].value
}
