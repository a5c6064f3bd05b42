/**
 * The DIR argument of the store commands: checked before anything opens it
 * (a command never creates a store where the user meant some other
 * directory), then opened as one more store sharing it with whatever
 * processes use it now.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import { inspectStoreDirectory, openStore, SpillwayError, type StoreDirectoryInfo, type Store, type StoreOptions } from '../../src/index.js'
import { PROBLEM, USAGE_ERROR } from './exit-codes.js'

export interface StoreDirectory {
  dir: string
  info: StoreDirectoryInfo
}

/**
 * The resolved DIR, or a usage error (exit code 2) naming it: a path that
 * does not exist, is not a directory, or holds no spillway store (no `LOCK`
 * file and no journal) is a wrong argument, not a problem found in a store.
 */
export function storeDirectoryArgument(command: Command, dirArgument: string): StoreDirectory {
  const dir = path.resolve(dirArgument)
  let stat: fs.Stats
  try {
    stat = fs.statSync(dir)
  } catch (err) {
    return command.error(`error: ${dirArgument}: no such directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { exitCode: USAGE_ERROR })
  }
  if (!stat.isDirectory()) return command.error(`error: ${dirArgument} is not a directory`, { exitCode: USAGE_ERROR })
  let info: StoreDirectoryInfo | undefined
  try {
    info = inspectStoreDirectory(dir)
  } catch (err) {
    return command.error(`error: ${dirArgument} cannot be read: ${(err as Error).message}`, { exitCode: USAGE_ERROR })
  }
  if (info === undefined) return command.error(`error: ${dirArgument} is not a spillway directory (it holds no LOCK file and no journal)`, { exitCode: USAGE_ERROR })
  return { dir, info }
}

/**
 * How a command joins a directory others use: no disk budget, no automatic
 * compaction and no maintenance of its own (it never takes the maintenance
 * lease from the writers when their turn comes), so a look at a directory
 * never evicts or compacts anything; `compact()` still runs when called.
 */
export const LOOKING_ON: Partial<StoreOptions> = Object.freeze({ maxDiskBytes: Infinity, autoCompact: false, maintenance: false })

/**
 * Opens the directory as one more store beside the processes using it (the
 * mmap backend shares it), with the journal size they agreed on and
 * LOOKING_ON. A store that cannot be opened ends the command with exit
 * code 1.
 */
export async function openStoreDirectory(name: string, { dir, info }: StoreDirectory, options: Partial<StoreOptions> = {}): Promise<Store> {
  try {
    return await openStore({ dir, journalBytes: info.journalBytes, ...LOOKING_ON, ...options })
  } catch (err) {
    const code = err instanceof SpillwayError || (err as NodeJS.ErrnoException).code !== undefined ? ` (${(err as NodeJS.ErrnoException).code})` : ''
    console.error(`spillway ${name}: the store in ${dir} could not be opened${code}: ${(err as Error).message}`)
    process.exit(PROBLEM)
  }
}

/** Runs `use` on the open store and closes it, whatever happens. */
export async function withStore<T>(name: string, directory: StoreDirectory, use: (store: Store) => Promise<T>, options?: Partial<StoreOptions>): Promise<T> {
  const store = await openStoreDirectory(name, directory, options)
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}

/** Bytes for people: 1536 → "1.5 KiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(1)} ${units[unit]}`
}

export function formatRatio(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`
}
