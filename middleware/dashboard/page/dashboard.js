// The live dashboard: samples of stats() arrive as server-sent events; the page keeps a window of them,
// shows the latest numbers and draws the window. Served by middleware/dashboard/dashboard.ts.
import { CHARTS, columns, plotOptions } from './charts.js'
import { bytes, count, percent, rate, ratio } from './format.js'

/* global uPlot, EventSource */

const samples = []
const plots = new Map()
let received = 0

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`)

/** Shows `text` in the element, with the exact number in data-value. */
function show(id, text, value) {
  const el = byTestId(id)
  if (el === null) return
  el.textContent = text
  if (value === undefined || value === null) delete el.dataset.value
  else el.dataset.value = String(value)
}

function showCount(id, n) {
  show(id, count(n), n)
}

function showFigures(cur, prev) {
  show('source', cur.label)
  show('samples', String(received))
  const notice = byTestId('notice')
  notice.hidden = cur.store !== null && !cur.note
  notice.textContent = cur.store === null ? 'The store is not open (yet): no numbers to show.' : cur.note ?? ''
  for (const section of document.querySelectorAll('[data-needs="http"]')) section.hidden = cur.http === null
  if (cur.http !== null) showHttp(cur, prev)
  const s = cur.store
  if (s === null) return
  show('heap-hit-ratio', percent(ratio(s.heap.hits, s.heap.misses)), ratio(s.heap.hits, s.heap.misses))
  showCount('heap-hits', s.heap.hits)
  showCount('heap-misses', s.heap.misses)
  show('disk-hit-ratio', percent(ratio(s.disk.hits, s.disk.misses)), ratio(s.disk.hits, s.disk.misses))
  showCount('disk-hits', s.disk.hits)
  showCount('disk-misses', s.disk.misses)
  show('heap-bytes', bytes(s.heap.bytes), s.heap.bytes)
  show('heap-max-bytes', bytes(s.heap.maxBytes), s.heap.maxBytes)
  showCount('heap-entries', s.heap.entries)
  show('disk-bytes', bytes(s.disk.bytes), s.disk.bytes)
  show('disk-max-bytes', bytes(s.disk.maxBytes), s.disk.maxBytes)
  showCount('disk-entries', s.disk.entries)
  show('keydir-bytes', bytes(s.disk.keydirBytes), s.disk.keydirBytes)
  showCount('journals-active', s.journals.active)
  showCount('journals-sealed', Math.max(0, s.journals.mapped - s.journals.active))
  showCount('journals-cold', s.journals.cold)
  show('dead-ratio', percent(s.disk.deadRatio), s.disk.deadRatio)
  show('write-amplification', s.writeAmplification.toFixed(2), s.writeAmplification)
  showCount('compaction-runs', s.compaction.runs)
  showCount('compacted-journals', s.compaction.journals)
  showCount('compaction-moved', s.compaction.moved)
  showCount('evicted-journals', s.eviction.journals)
  showCount('evicted-entries', s.eviction.evicted)
  showCount('reinserted', s.eviction.reinserted)
  showCount('corruptions', s.corruptions)
  showCount('background-failures', s.errors.flush + s.errors.maintenance)
}

function showHttp(cur, prev) {
  const outcomes = cur.outcomes ?? {}
  const total = Object.values(outcomes).reduce((a, b) => a + b, 0)
  showCount('requests', total)
  const before = prev?.outcomes ? Object.values(prev.outcomes).reduce((a, b) => a + b, 0) : null
  const seconds = prev ? (cur.at - prev.at) / 1000 : 0
  show('request-rate', rate(before === null || seconds <= 0 || total < before ? null : (total - before) / seconds))
  showCount('http-stored', cur.http.stored)
  showCount('http-errors', cur.http.errors)
  const list = byTestId('outcomes')
  for (const [name, n] of Object.entries(outcomes)) {
    if (byTestId(`outcome-${name}`) === null) {
      const row = document.createElement('div')
      const term = document.createElement('dt')
      const value = document.createElement('dd')
      term.textContent = name
      value.dataset.testid = `outcome-${name}`
      row.append(term, value)
      list.append(row)
    }
    showCount(`outcome-${name}`, n)
  }
}

function draw() {
  const latest = samples[samples.length - 1]
  for (const chart of CHARTS) {
    const el = document.querySelector(`[data-chart="${chart.name}"]`)
    if (el === null || el.closest('[hidden]') !== null) continue
    const labels = chart.labels(latest)
    const data = columns(chart, samples, labels)
    const shape = labels.join('\n')
    let plot = plots.get(chart.name)
    // New series (another set of outcomes): a new plot, as uPlot's series are fixed.
    if (plot !== undefined && plot.shape !== shape) {
      plot.uplot.destroy()
      plot = undefined
    }
    if (plot === undefined) {
      plot = { shape, uplot: new uPlot(plotOptions(chart, labels, el.clientWidth || 600), data, el) }
      plots.set(chart.name, plot)
    } else plot.uplot.setData(data)
  }
}

function onSample(event) {
  const cur = JSON.parse(event.data)
  received++
  const prev = samples[samples.length - 1]
  samples.push(cur)
  if (samples.length > cur.history) samples.splice(0, samples.length - cur.history)
  showFigures(cur, prev)
  draw()
}

const source = new EventSource('events')
source.addEventListener('snapshot', onSample)
source.addEventListener('open', () => show('connection', 'live'))
source.addEventListener('error', () => show('connection', source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting…'))

window.addEventListener('resize', () => {
  for (const [name, plot] of plots) {
    const el = document.querySelector(`[data-chart="${name}"]`)
    plot.uplot.setSize({ width: el.clientWidth || 600, height: 180 })
  }
})
