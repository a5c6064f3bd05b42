/**
 * `spillway stats DIR`: entries, bytes and journals by state, with the dead
 * ratio of each journal and overall, as a store sharing the directory
 * counts them once it has opened it.
 */
import type { Command } from 'commander'
import type { JournalStats, Store } from '../../src/index.js'
import { formatBytes, formatRatio, storeDirectoryArgument, withStore } from './store-directory.js'

/** What `stats --json` prints: one JSON object. */
export interface StatsReport {
  dir: string
  backend: string
  entries: number
  /** Journal files on disk. */
  bytes: number
  keydirBytes: number
  deadRatio: number
  writeAmplification: number
  journals: { total: number; active: number; sealed: number; cold: number; list: Array<JournalStats & { file: string }> }
}

export function addStatsCommand(program: Command): Command {
  return program.command('stats')
    .description('entries, bytes and journals by state (active, sealed, cold), with dead ratios per journal and overall')
    .argument('<dir>', 'the store directory')
    .option('--json', 'one JSON object instead of the table')
    .action(async (dirArgument: string, flags: { json?: boolean }, command: Command) => {
      const directory = storeDirectoryArgument(command, dirArgument)
      const report = await withStore('stats', directory, async (store) => statsReport(directory.dir, store))
      process.stdout.write(flags.json === true ? `${JSON.stringify(report)}\n` : formatStats(report))
    })
}

function statsReport(dir: string, store: Store): StatsReport {
  const stats = store.stats()
  const list = store.journalStats().map((j) => ({ ...j, file: `${String(j.id).padStart(8, '0')}.journal` }))
  const count = (state: JournalStats['state']) => list.filter((j) => j.state === state).length
  return {
    dir,
    backend: store.backend,
    entries: stats.disk.entries,
    bytes: stats.disk.bytes,
    keydirBytes: stats.disk.keydirBytes,
    deadRatio: stats.disk.deadRatio,
    writeAmplification: stats.writeAmplification,
    journals: { total: list.length, active: count('active'), sealed: count('sealed'), cold: count('cold'), list },
  }
}

function formatStats(r: StatsReport): string {
  const lines = [
    `directory   ${r.dir}`,
    `backend     ${r.backend}`,
    `entries     ${r.entries}`,
    `disk        ${formatBytes(r.bytes)} in ${r.journals.total} journal${r.journals.total === 1 ? '' : 's'} (index ${formatBytes(r.keydirBytes)})`,
    `journals    ${r.journals.active} active, ${r.journals.sealed} sealed, ${r.journals.cold} cold`,
    `dead        ${formatRatio(r.deadRatio)} of the bytes written`,
  ]
  if (r.journals.list.length > 0) {
    lines.push('', 'journal            state    size        used        dead')
    for (const j of r.journals.list) {
      lines.push(`${j.file}   ${j.state.padEnd(7)}  ${formatBytes(j.bytes).padEnd(10)}  ${formatBytes(j.usedBytes).padEnd(10)}  ${formatRatio(j.deadRatio)}`)
    }
  }
  return `${lines.join('\n')}\n`
}
