/** Command-line numbers of the benchmarks: `--name N`, `--name=N` or a short flag, positive or the run stops. */
const args = process.argv.slice(2)

/** The value of `--long` (or `short`), a positive number, or `fallback` when it is absent. */
export function numberArg(long: string, short: string | undefined, fallback: number): number {
  const i = args.findIndex((a) => a === short || a === `--${long}`)
  const raw = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${long}=`))?.slice(long.length + 3)
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n <= 0) {
    console.error(`--${long} must be a positive number`)
    process.exit(2)
  }
  return n
}

/** numberArg, for a count: a positive integer, or the run stops. */
export function integerArg(long: string, fallback: number): number {
  const n = numberArg(long, undefined, fallback)
  if (!Number.isInteger(n)) {
    console.error(`--${long} must be a positive integer`)
    process.exit(2)
  }
  return n
}
