/**
 * A small grouped bar chart as a standalone SVG string, with no dependency:
 * one or more panels stacked vertically, each a set of groups (operations)
 * with one bar per series (engine), on a shared log10 scale so that engines
 * a thousand times apart stay readable side by side.
 */

export interface Series {
  name: string
  /** A CSS colour; by default the next one of a ten-colour palette. */
  color?: string
  /** One value per group; undefined draws no bar (the operation did not apply). */
  values: (number | undefined)[]
}

export interface Panel {
  title: string
  groups: string[]
  series: Series[]
}

export interface ChartOptions {
  title: string
  /** The axis label: "ops/s". */
  unit: string
  panels: Panel[]
}

const PALETTE = ['#d62728', '#ff7f0e', '#1f77b4', '#6baed6', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#17becf']
const BAR = 14
const GROUP_GAP = 26
const LEFT = 78
const RIGHT = 24
const PLOT = 230
const PANEL_TOP = 70 // panel title + head room for the value labels of the tallest bars
const PANEL_BOTTOM = 34 // group labels
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"'

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

/** "1.23M", "45.6k", "789". */
export function shortNumber(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toPrecision(3)}G`
  if (n >= 1e6) return `${(n / 1e6).toPrecision(3)}M`
  if (n >= 1e3) return `${(n / 1e3).toPrecision(3)}k`
  return n.toPrecision(3)
}

export function groupedBarChart(options: ChartOptions): string {
  const names: string[] = []
  for (const panel of options.panels) for (const s of panel.series) if (!names.includes(s.name)) names.push(s.name)
  const color = new Map(names.map((name, i) => [name, PALETTE[i % PALETTE.length]]))
  for (const panel of options.panels) for (const s of panel.series) if (s.color !== undefined) color.set(s.name, s.color)

  const all = options.panels.flatMap((p) => p.series.flatMap((s) => s.values)).filter((v): v is number => v !== undefined && v > 0)
  const lo = Math.floor(Math.log10(Math.min(...all, 1e3)))
  const hi = Math.ceil(Math.log10(Math.max(...all, 1e4)))
  const scale = (v: number): number => ((Math.log10(v) - lo) / (hi - lo)) * PLOT

  const widest = Math.max(...options.panels.map((p) => p.groups.length * (p.series.length * BAR + GROUP_GAP)))
  const width = Math.max(LEFT + widest + RIGHT, 640)

  // Legend: wrapped rows of swatches under the title.
  const legend: string[] = []
  let lx = LEFT
  let ly = 48
  for (const name of names) {
    const w = 22 + name.length * 7 + 18
    if (lx + w > width - RIGHT) { lx = LEFT; ly += 20 }
    legend.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color.get(name)}"/>`,
      `<text x="${lx + 18}" y="${ly}" font-size="12">${esc(name)}</text>`)
    lx += w
  }

  const out: string[] = []
  let top = ly + 16
  for (const panel of options.panels) {
    const plotTop = top + PANEL_TOP
    const base = plotTop + PLOT
    out.push(`<text x="${LEFT}" y="${top + 22}" font-size="14" font-weight="600">${esc(panel.title)}</text>`)
    for (let d = lo; d <= hi; d++) {
      const y = base - scale(10 ** d)
      out.push(`<line x1="${LEFT}" x2="${width - RIGHT}" y1="${y}" y2="${y}" stroke="#ddd"/>`,
        `<text x="${LEFT - 8}" y="${y + 4}" font-size="11" text-anchor="end" fill="#555">${shortNumber(10 ** d)}</text>`)
    }
    out.push(`<text transform="translate(16 ${plotTop + PLOT / 2}) rotate(-90)" font-size="12" text-anchor="middle" fill="#555">${esc(options.unit)} (log scale)</text>`)
    const groupWidth = panel.series.length * BAR + GROUP_GAP
    panel.groups.forEach((group, g) => {
      const gx = LEFT + GROUP_GAP / 2 + g * groupWidth
      panel.series.forEach((s, i) => {
        const v = s.values[g]
        if (v === undefined || v <= 0) return
        const h = Math.max(scale(v), 1)
        const x = gx + i * BAR
        out.push(`<rect x="${x}" y="${(base - h).toFixed(1)}" width="${BAR - 2}" height="${h.toFixed(1)}" fill="${color.get(s.name)}">` +
          `<title>${esc(`${s.name}, ${group}: ${Math.round(v).toLocaleString('en-US')} ops/s`)}</title></rect>`,
        `<text transform="translate(${x + BAR / 2 + 3} ${(base - h - 4).toFixed(1)}) rotate(-90)" font-size="9" fill="#333">${shortNumber(v)}</text>`)
      })
      out.push(`<text x="${gx + (panel.series.length * BAR) / 2}" y="${base + 18}" font-size="12" text-anchor="middle">${esc(group)}</text>`)
    })
    out.push(`<line x1="${LEFT}" x2="${width - RIGHT}" y1="${base}" y2="${base}" stroke="#333"/>`)
    top = base + PANEL_BOTTOM
  }

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + 8}" viewBox="0 0 ${width} ${top + 8}" ${FONT}>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${LEFT}" y="24" font-size="16" font-weight="600">${esc(options.title)}</text>`,
    ...legend, ...out, '</svg>', '',
  ].join('\n')
}
