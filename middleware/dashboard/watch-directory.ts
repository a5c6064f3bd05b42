import fs from 'node:fs'
import path from 'node:path'
import { openStore, type Store } from '../../src/index.js'

/**
 * Opens the store in `dir` as one more process sharing it, to watch its
 * stats(), and nothing else: it takes the journal size the directory was
 * created with (all sharers must agree; src/journal/FORMAT.md §Files, `LOCK`),
 * keeps no heap tier, and runs no maintenance (no disk bound of its own,
 * no compaction, never the maintenance lease): that stays with the
 * processes that write.
 * A directory that holds no store is refused rather than created.
 */
export async function openToWatch(dir: string): Promise<Store> {
  const journalBytes = journalBytesOf(dir)
  return openStore({ dir, journalBytes, maxHeapBytes: 0, maxDiskBytes: Infinity, autoCompact: false, maintenance: false })
}

function journalBytesOf(dir: string): number {
  let lock: string
  try {
    lock = fs.readFileSync(path.join(dir, 'LOCK'), 'utf8')
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    throw new Error(code === 'ENOENT'
      ? `${dir} holds no spillway store (no LOCK file): open it with a store first`
      : `${dir}: cannot read its LOCK file: ${(err as Error).message}`)
  }
  let settings: { journalBytes?: unknown }
  try {
    settings = JSON.parse(lock) as { journalBytes?: unknown }
  } catch {
    settings = {}
  }
  if (typeof settings.journalBytes !== 'number') throw new Error(`${dir}: its LOCK file names no journal size: ${JSON.stringify(lock.slice(0, 80))}`)
  return settings.journalBytes
}
