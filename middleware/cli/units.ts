/**
 * The command line's sizes and durations. Sizes: bytes, or a number with an
 * IEC unit (KiB, MiB, GiB, TiB: powers of 1024) or an SI one (kB, MB, GB,
 * TB: powers of 1000), case-insensitive: `64MiB`, `1.5GiB`, `500MB`.
 * Durations: seconds, or a number with ms, s, m, h or d: `300`, `5m`, `250ms`.
 */
import { InvalidArgumentError } from 'commander'

const SIZE_UNITS: Record<string, number> = {
  '': 1, b: 1,
  kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40,
  kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12,
}

const DURATION_UNITS: Record<string, number> = { ms: 1, '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** Bytes, as a whole number. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text)
  const unit = m === null ? undefined : SIZE_UNITS[m[2].toLowerCase()]
  const bytes = m === null || unit === undefined ? NaN : Math.floor(Number(m[1]) * unit)
  if (!Number.isSafeInteger(bytes) || bytes <= 0) {
    throw new InvalidArgumentError('expected a size such as 1048576, 64MiB or 1GiB')
  }
  return bytes
}

/** Milliseconds, as a whole number. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|)\s*$/i.exec(text)
  const ms = m === null ? NaN : Math.round(Number(m[1]) * DURATION_UNITS[m[2].toLowerCase()])
  if (!Number.isSafeInteger(ms) || ms < 0 || ms > 2 ** 31) {
    throw new InvalidArgumentError('expected seconds, or a duration such as 250ms, 30s, 5m, 1h or 1d')
  }
  return ms
}

/** A TCP port, 0 to 65535 (0: any free one). */
export function parsePort(text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : NaN
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535')
  return port
}
