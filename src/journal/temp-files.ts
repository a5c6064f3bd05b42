import fs from 'node:fs'
import path from 'node:path'
import { isSystemError } from '../errors.js'

/**
 * Files under construction (new journals, sidecars) are renamed or linked
 * into place when done; those of dead processes never will be.
 */
export function removeDeadWritersTempFiles(dir: string, names: string[]): void {
  for (const name of names) {
    const m = /^\..*\.(\d+)\.\d+\.tmp$/.exec(name)
    if (m === null || processIsAlive(Number(m[1]))) continue
    fs.rmSync(path.join(dir, name), { force: true })
  }
}

/** Whether `pid` names a live process (one this process may not signal counts: it exists). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return !isSystemError(err, 'ESRCH')
  }
}
