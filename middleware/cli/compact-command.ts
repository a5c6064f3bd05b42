/**
 * `spillway compact DIR`: compacts the sealed journals at least
 * `--threshold` dead, holding the maintenance lease (src/store/maintenance-lease.ts)
 * that every process sharing the directory takes for a turn of compaction
 * or eviction. When another process holds it, that process is compacting
 * or evicting now: the command says so on stderr and tries again until it
 * gets the lease or `--wait` runs out (exit code 1 then).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { InvalidArgumentError, Option, type Command } from 'commander'
import type { CompactionReport, Store } from '../../src/index.js'
import { OK, PROBLEM } from './exit-codes.js'
import { progressBar } from './progress.js'
import { formatBytes, storeDirectoryArgument, withStore } from './store-directory.js'
import { parseDuration } from './units.js'

const DEFAULT_THRESHOLD = 0.4
const RETRY_MS = 100

interface CompactFlags {
  threshold: number
  wait: number
  json?: boolean
}

export function addCompactCommand(program: Command): Command {
  return program.command('compact')
    .description('compact the sealed journals at least --threshold dead, holding the maintenance lease; safe beside live writers')
    .argument('<dir>', 'the store directory')
    .addOption(new Option('--threshold <ratio>', 'compact sealed journals at least this dead, between 0 and 1 (exclusive)').default(DEFAULT_THRESHOLD).argParser(parseRatio))
    .option('--wait <duration>', 'how long to wait for the maintenance lease while another process holds it: seconds, or 250ms, 30s, 5m (0: give up at once)', parseDuration, 30_000)
    .option('--json', 'the compaction report as one JSON object')
    .action(async (dirArgument: string, flags: CompactFlags, command: Command) => {
      const directory = storeDirectoryArgument(command, dirArgument)
      const report = await withStore('compact', directory, (store) => compactHoldingLease(store, directory.dir, flags),
        { compactionThreshold: flags.threshold, compactionSweepThreshold: flags.threshold })
      if (report.leaseHeld === true) {
        console.error(`spillway compact: gave up after ${flags.wait} ms: another process still holds the maintenance lease on ${directory.dir}; try again, or pass a longer --wait`)
        process.exitCode = PROBLEM
        return
      }
      if (flags.json === true) process.stdout.write(`${JSON.stringify(report)}\n`)
      else if (report.journals.length === 0) console.log(`nothing to compact: no sealed journal in ${directory.dir} is at least ${Math.round(flags.threshold * 100)}% dead`)
      else {
        console.log(`compacted ${report.journals.length} journal${report.journals.length === 1 ? '' : 's'} (${report.journals.join(', ')}): ` +
          `${report.moved} live records moved, ${report.superseded} superseded meanwhile, ${formatBytes(Math.max(0, report.reclaimedBytes))} reclaimed`)
      }
      process.exitCode = OK
    })
}

/** Compacts, trying again while another process holds the lease, until `flags.wait` has passed. */
async function compactHoldingLease(store: Store, dir: string, flags: CompactFlags): Promise<CompactionReport> {
  const giveUpAt = Date.now() + flags.wait
  let told = false
  for (;;) {
    const progress = progressBar('compacting', 'journals')
    let report: CompactionReport
    try {
      report = await store.compact({ onProgress: (done, total) => progress.update(done, total) })
    } finally {
      progress.stop()
    }
    if (report.leaseHeld !== true || Date.now() >= giveUpAt) return report
    if (!told) {
      console.error(`spillway compact: another process holds the maintenance lease on ${dir} (it is compacting or evicting now); waiting up to ${flags.wait} ms for it`)
      told = true
    }
    await sleep(RETRY_MS)
  }
}

function parseRatio(text: string): number {
  const ratio = Number(text)
  if (!/^\s*\d*\.?\d+\s*$/.test(text) || !(ratio > 0 && ratio < 1)) {
    throw new InvalidArgumentError('expected a ratio between 0 and 1 (exclusive), such as 0.4')
  }
  return ratio
}
