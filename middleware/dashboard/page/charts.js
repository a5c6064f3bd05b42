// The charts: what each one draws, and how a sample (with the one before it) gives the values of its series.
// Rates and interval ratios are differences of stats() counters between two samples: the page counts nothing.
import { bytes, percent, ratio } from './format.js'

const COLORS = ['#2f6fd0', '#d0632f', '#3a9d4a', '#9b4fc4', '#c9a227', '#5a5a5a', '#d04a7a']

/** How much a counter grew between two samples; null when it went back (the process restarted). */
function grew(now, before) {
  return now >= before ? now - before : null
}

function perSecond(now, before, seconds) {
  const d = grew(now, before)
  return d === null || seconds <= 0 ? null : d / seconds
}

function intervalRatio(cur, prev, tier) {
  const hits = grew(cur[tier].hits, prev[tier].hits)
  const misses = grew(cur[tier].misses, prev[tier].misses)
  return hits === null || misses === null ? null : ratio(hits, misses)
}

const asRatio = { range: [0, 1], values: (_u, ticks) => ticks.map((t) => percent(t)) }
const asBytes = { values: (_u, ticks) => ticks.map((t) => bytes(t)) }

/**
 * name: the element's data-chart; labels(sample): the series, which may depend on the sample (the outcomes);
 * point(cur, prev): one value per series, null for a gap; y: the left axis; right: a second scale, 0 to 1.
 */
export const CHARTS = [
  {
    name: 'hit-ratio',
    labels: () => ['heap', 'disk'],
    point: (cur, prev) => (prev?.store && cur.store
      ? [intervalRatio(cur.store, prev.store, 'heap'), intervalRatio(cur.store, prev.store, 'disk')]
      : [null, null]),
    y: asRatio,
  },
  {
    name: 'requests',
    labels: (s) => ['requests/s', ...Object.keys(s.outcomes ?? {}).map((k) => `${k}/s`)],
    point: (cur, prev) => {
      const keys = Object.keys(cur.outcomes ?? {})
      if (!prev?.outcomes || !cur.outcomes) return [null, ...keys.map(() => null)]
      const seconds = (cur.at - prev.at) / 1000
      const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0)
      return [perSecond(sum(cur.outcomes), sum(prev.outcomes), seconds),
        ...keys.map((k) => perSecond(cur.outcomes[k], prev.outcomes[k] ?? 0, seconds))]
    },
    y: {},
  },
  {
    name: 'heap-bytes',
    labels: () => ['bytes', 'maxHeapBytes'],
    point: (cur) => (cur.store ? [cur.store.heap.bytes, cur.store.heap.maxBytes] : [null, null]),
    y: asBytes,
  },
  {
    name: 'disk-bytes',
    labels: () => ['bytes', 'maxDiskBytes'],
    point: (cur) => (cur.store ? [cur.store.disk.bytes, cur.store.disk.maxBytes] : [null, null]),
    y: asBytes,
  },
  {
    name: 'journals',
    labels: () => ['active', 'sealed, mapped', 'cold', 'dead ratio'],
    point: (cur) => {
      if (!cur.store) return [null, null, null, null]
      const j = cur.store.journals
      return [j.active, Math.max(0, j.mapped - j.active), j.cold, cur.store.disk.deadRatio]
    },
    y: {},
    right: { label: 'dead ratio', from: 3 },
  },
  {
    name: 'maintenance',
    labels: () => ['compactions', 'journals compacted', 'journals evicted', 'entries evicted'],
    point: (cur) => {
      if (!cur.store) return [null, null, null, null]
      const { compaction, eviction } = cur.store
      return [compaction.runs, compaction.journals, eviction.journals, eviction.evicted]
    },
    y: {},
  },
]

/** uPlot's options for `chart` with `labels`, `width` pixels wide. */
export function plotOptions(chart, labels, width) {
  const series = [{}, ...labels.map((label, i) => ({
    label,
    stroke: COLORS[i % COLORS.length],
    width: 1.5,
    scale: chart.right !== undefined && i >= chart.right.from ? 'right' : 'y',
    value: (_u, v) => (v === null ? '–' : chart.y === asBytes ? bytes(v) : chart.y === asRatio || (chart.right && i >= chart.right.from) ? percent(v) : String(Math.round(v * 10) / 10)),
  }))]
  const axes = [{}, { scale: 'y', values: chart.y.values, size: 70 }]
  const scales = { x: { time: true }, y: chart.y.range ? { range: chart.y.range } : {} }
  if (chart.right !== undefined) {
    axes.push({ scale: 'right', side: 1, values: asRatio.values, grid: { show: false }, size: 60 })
    scales.right = { range: [0, 1] }
  }
  return { width, height: 180, series, axes, scales }
}

/** Columns for uPlot: the times in seconds, then each series over the samples kept. */
export function columns(chart, samples, labels) {
  const data = [samples.map((s) => s.at / 1000), ...labels.map(() => [])]
  samples.forEach((cur, i) => {
    const values = chart.point(cur, samples[i - 1])
    for (let k = 0; k < labels.length; k++) data[k + 1].push(values[k] ?? null)
  })
  return data
}
