// How the page writes numbers. A count is shown as stats() gives it (plain digits); sizes and ratios are
// rounded for reading, with the exact value kept in the element's data-value.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** Bytes in IEC units; null (a bound of Infinity, sent as null) is no bound. */
export function bytes(n) {
  if (n === null || n === undefined) return 'no bound'
  let value = n
  let unit = 0
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`
}

/** A share in [0, 1] as a percentage; null when there was nothing to share. */
export function percent(ratio) {
  return ratio === null || Number.isNaN(ratio) ? '–' : `${(ratio * 100).toFixed(1)}%`
}

export function count(n) {
  return n === null || n === undefined ? '–' : String(n)
}

export function rate(perSecond) {
  return perSecond === null ? '–' : perSecond.toFixed(perSecond >= 100 ? 0 : 1)
}

/** hits / (hits + misses), or null with no lookups. */
export function ratio(hits, misses) {
  return hits + misses === 0 ? null : hits / (hits + misses)
}
