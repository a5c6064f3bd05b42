import cliProgress from 'cli-progress'

/** A progress bar on stderr, or nothing at all when stderr is not a terminal (piped output stays plain lines). */
export interface Progress {
  update(done: number, total: number): void
  stop(): void
}

const NO_PROGRESS: Progress = { update: () => {}, stop: () => {} }

/** `unit` 'bytes' shows MiB; 'journals' shows the counts as they are. */
export function progressBar(label: string, unit: 'bytes' | 'journals', stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY !== true) return NO_PROGRESS
  const counts = unit === 'bytes' ? '{doneMiB}/{totalMiB} MiB' : '{value}/{total} journals'
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {percentage}% | ${counts}`,
    stream,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic)
  let started = false
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1)
  return {
    update(done, total) {
      // Nothing to do (no journal to check or compact): no bar to draw.
      if (total === 0) return
      const payload = { doneMiB: mib(done), totalMiB: mib(total) }
      if (!started) {
        bar.start(total, done, payload)
        started = true
        return
      }
      bar.setTotal(total)
      bar.update(done, payload)
    },
    stop() {
      if (started) bar.stop()
    },
  }
}
