/**
 * `spillway verify DIR`: every record's CRC32C in every journal, read with
 * plain reads and no lock, so it runs beside live writers without
 * disturbing them. Exit code 1 when it finds damage, 0 when it finds none.
 */
import path from 'node:path'
import type { Command } from 'commander'
import { verifyJournals, type CorruptionReport, type JournalVerification } from '../../src/index.js'
import { OK, PROBLEM } from './exit-codes.js'
import { progressBar } from './progress.js'
import { formatBytes, storeDirectoryArgument } from './store-directory.js'

const REASONS: Record<string, string> = {
  'corrupt-record': 'a record fails its CRC32C or layout check',
  'torn-tail': 'garbled bytes after the last good record',
  'bad-header': 'the journal header is damaged, foreign, or its tail word does not match the records',
  'truncated-file': 'the file is shorter than the capacity its header records',
}

export function addVerifyCommand(program: Command): Command {
  return program.command('verify')
    .description('check every record\'s CRC32C in every journal, read-only (safe beside live writers); exit code 1 when damage is found')
    .argument('<dir>', 'the store directory')
    .option('--json', 'one JSON object: the journals checked and the damage found')
    .action(async (dirArgument: string, flags: { json?: boolean }, command: Command) => {
      const { dir } = storeDirectoryArgument(command, dirArgument)
      const progress = progressBar('verifying', 'bytes')
      let journals: JournalVerification[]
      try {
        journals = await verifyJournals(dir, { onProgress: (done, total) => progress.update(done, total) })
      } finally {
        progress.stop()
      }
      const damage = journals.flatMap((j) => j.damage.map((d) => ({ journal: path.basename(j.file), ...d })))
      if (flags.json === true) process.stdout.write(`${JSON.stringify({ dir, clean: damage.length === 0, journals, damage })}\n`)
      else process.stdout.write(formatReport(dir, journals))
      process.exitCode = damage.length === 0 ? OK : PROBLEM
    })
}

function formatReport(dir: string, journals: JournalVerification[]): string {
  const lines: string[] = []
  for (const j of journals) {
    const name = path.basename(j.file)
    if (j.removed) {
      lines.push(`${name}: removed by another process's compaction or eviction before it was read`)
      continue
    }
    const holes = j.holes === 0 ? '' : `, ${j.holes} hole${j.holes === 1 ? '' : 's'} (claims a writer died before publishing: not damage)`
    const state = j.state === undefined ? '' : ` ${j.state}`
    lines.push(`${name}:${state}, ${j.records} record${j.records === 1 ? '' : 's'} in ${formatBytes(j.bytes)}${holes}: ${j.damage.length === 0 ? 'ok' : 'DAMAGED'}`)
    for (const d of j.damage) lines.push(`  ${damageLine(name, d)}`)
  }
  const damaged = journals.filter((j) => j.damage.length > 0)
  const stretches = damaged.reduce((n, j) => n + j.damage.length, 0)
  const records = journals.reduce((n, j) => n + j.records, 0)
  lines.push(stretches === 0
    ? `${dir}: ${journals.length} journal${journals.length === 1 ? '' : 's'}, ${records} records checked, no damage`
    : `${dir}: ${stretches} damaged stretch${stretches === 1 ? '' : 'es'} in ${damaged.length} of ${journals.length} journals (${records} good records)`)
  return `${lines.join('\n')}\n`
}

function damageLine(journal: string, d: CorruptionReport): string {
  return `damage: ${journal} offset ${d.offset}, ${d.length} bytes: ${d.reason} (${REASONS[d.reason] ?? d.reason})`
}
