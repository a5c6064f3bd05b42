/**
 * What every benchmark shares: timing by median of runs, the machine and
 * versions, and the table printed to the console and, when asked with
 * `--save` (or BENCH_SAVE=1), saved as markdown under bench/results/. The
 * committed results change only on purpose, never as a side effect of a run.
 * Nothing here asserts a speed: benchmarks measure, tests check.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface Row {
  /** What ran: "spillway append (1 writer)". */
  name: string
  /** Operations per second, median of the runs. */
  opsPerSec: number
  /** Payload megabytes per second, when it means something. */
  mbPerSec?: number
  /** The row whose ops/s this one is compared with; ratio printed as "×". */
  vs?: string
  note?: string
  /** Cells of the extra columns that `report`'s options declare, by column key. */
  values?: Record<string, number>
}

/** An extra numeric column, printed between MB/s and the ratio. */
export interface Column {
  key: string
  header: string
  /** Decimals printed; 0 unless told. */
  digits?: number
}

/** What a benchmark may change in the table; without options, every table looks as it always did. */
export interface ReportOptions {
  /** Header of the first column ("operation"). */
  nameHeader?: string
  /** Header of the rate column ("ops/s"). */
  rateHeader?: string
  columns?: Column[]
  /** The closing sentence of the markdown, in place of the one about medians of runs in one process. */
  footer?: string
}

/** Whether this run saves its tables under bench/results/: only when asked. */
export const SAVE_RESULTS = process.argv.includes('--save') || process.env.BENCH_SAVE === '1'

/** Writes `contents` to bench/results/<file> when the run was asked to save, and says what it did. */
export function saveResult(file: string, contents: string): void {
  if (!SAVE_RESULTS) {
    console.log(`bench/results/${file} not rewritten (pass --save, or BENCH_SAVE=1, to save it)`)
    return
  }
  const dir = new URL('../../../bench/results/', import.meta.url)
  fs.mkdirSync(dir, { recursive: true })
  fs.writeFileSync(path.join(dir.pathname, file), contents)
  console.log(`saved bench/results/${file}`)
}

/** Runs `fn` (which returns how many operations it did) `runs` times after one warm-up, and gives the median rate. */
export function medianRate(runs: number, fn: () => number): number {
  fn()
  const rates: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint()
    const ops = fn()
    rates.push(ops / (Number(process.hrtime.bigint() - start) / 1e9))
  }
  rates.sort((a, b) => a - b)
  return rates[runs >> 1]
}

/** The median of `runs` rates that `fn` measures itself (for work whose set-up must not be timed). */
export async function medianOf(runs: number, fn: () => Promise<number>): Promise<number> {
  const rates: number[] = []
  for (let i = 0; i < runs; i++) rates.push(await fn())
  rates.sort((a, b) => a - b)
  return rates[runs >> 1]
}

export function machine(): Record<string, string> {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  return {
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    cpu: `${os.cpus()[0]?.model ?? 'unknown'} × ${os.cpus().length}`,
    memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    spillway: pkg.version,
  }
}

function formatRate(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`
  return n.toFixed(0)
}

function tableRows(rows: Row[], options: ReportOptions): string[][] {
  const byName = new Map(rows.map((r) => [r.name, r]))
  const columns = options.columns ?? []
  const header = [options.nameHeader ?? 'operation', options.rateHeader ?? 'ops/s', 'MB/s', ...columns.map((c) => c.header), 'ratio', 'note']
  return [header, ...rows.map((r) => {
    const base = r.vs === undefined ? undefined : byName.get(r.vs)
    return [
      r.name, formatRate(r.opsPerSec), r.mbPerSec === undefined ? '' : r.mbPerSec.toFixed(0),
      ...columns.map((c) => {
        const v = r.values?.[c.key]
        return v === undefined || !Number.isFinite(v) ? '' : v.toFixed(c.digits ?? 0)
      }),
      base === undefined ? '' : `${(r.opsPerSec / base.opsPerSec).toFixed(2)}× ${base.name}`, r.note ?? '',
    ]
  })]
}

/** Prints the table and, when asked, saves it with the machine and versions as bench/results/<name>.md. */
export function report(name: string, title: string, rows: Row[], facts: Record<string, string> = {}, options: ReportOptions = {}): void {
  const table = tableRows(rows, options)
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)))
  /** The name and the note are text, left-aligned; every other column is a number. */
  const left = (c: number): boolean => c === 0 || c === table[0].length - 1
  console.log(`\n${title}`)
  for (const row of table) console.log(row.map((cell, c) => (left(c) ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '))

  const info = { ...machine(), ...facts }
  const md = [
    `# ${title}`, '',
    ...Object.entries(info).map(([k, v]) => `- ${k}: ${v}`), '',
    `| ${table[0].join(' | ')} |`, `| ${table[0].map((_, c) => (left(c) ? '---' : '---:')).join(' | ')} |`,
    ...table.slice(1).map((row) => `| ${row.join(' | ')} |`), '',
    options.footer ?? `Produced by \`npm run bench -- --save ${name}\`. Medians of several runs in one process; the machine is shared, so compare ratios, not absolute figures.`, '',
  ].join('\n')
  saveResult(`${name}.md`, md)
}
