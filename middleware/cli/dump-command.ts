/**
 * `spillway dump DIR`: every key holding an unexpired value, one per line;
 * with `--json`, one JSON object per line with its metadata. Keys are
 * yielded as `Store.keys()` promises: a key live for the whole dump appears
 * exactly once, whatever other processes write meanwhile.
 */
import type { Command } from 'commander'
import { storeDirectoryArgument, withStore } from './store-directory.js'

/** One line of `dump --json`. */
export interface DumpRecord {
  key: string
  /** Bytes of the value. */
  size: number
  /** Expiry in ms since the Unix epoch, and ms left; null for an entry that never expires. */
  expiresAt: number | null
  ttl: number | null
  tags: string[]
  /** Where its record is; null for an entry held only in a heap tier. */
  journal: number | null
  offset: number | null
}

export function addDumpCommand(program: Command): Command {
  return program.command('dump')
    .description('every key holding a value, one per line (raw keys: a key holding a newline spans two lines; --json does not)')
    .argument('<dir>', 'the store directory')
    .option('--json', 'one JSON object per line: key, size, expiresAt, ttl, tags, journal, offset')
    .action(async (dirArgument: string, flags: { json?: boolean }, command: Command) => {
      const directory = storeDirectoryArgument(command, dirArgument)
      await withStore('dump', directory, async (store) => {
        for await (const key of store.keys()) {
          if (flags.json !== true) {
            await write(`${key}\n`)
            continue
          }
          const info = store.describe(key)
          if (info === undefined) continue // deleted or expired since keys() yielded it
          const record: DumpRecord = {
            key,
            size: info.size,
            expiresAt: info.expiresAt ?? null,
            ttl: info.expiresAt === undefined ? null : Math.max(0, info.expiresAt - Date.now()),
            tags: info.tags,
            journal: info.journal ?? null,
            offset: info.offset ?? null,
          }
          await write(`${JSON.stringify(record)}\n`)
        }
      })
    })
}

/** Writes to stdout, waiting when the pipe is full: a dump of millions of keys never buffers them all. */
function write(text: string): Promise<void> | void {
  if (process.stdout.write(text)) return
  return new Promise((resolve) => process.stdout.once('drain', resolve))
}
