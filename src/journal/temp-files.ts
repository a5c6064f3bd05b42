import fs from 'node:fs'
import path from 'node:path'
import { isSystemError } from '../errors.js'
import { fileLocks, kernelLocks } from './writer-lock.js'

/** `.<name>.<pid>.<thread>.tmp`: what writeFileAtomic and new journals are built under. */
const TEMP_NAME = /^\..*\.(\d+)\.\d+\.tmp$/

/**
 * Files under construction (new journals, sidecars) are renamed or linked
 * into place when done, and their writer holds an flock on each for as long
 * as it may still use it (holdTempFile). One whose lock can be taken has no
 * writer left and is removed; the pid in its name is not trusted, since a
 * live writer in another pid namespace sharing the volume looks dead from
 * here. Without the native addon there is no flock across processes, and the
 * pid decides.
 */
export function removeAbandonedTempFiles(dir: string, names: string[]): void {
  for (const name of names) {
    const m = TEMP_NAME.exec(name)
    if (m === null) continue
    const file = path.join(dir, name)
    if (!kernelLocks) {
      if (!processIsAlive(Number(m[1]))) fs.rmSync(file, { force: true })
      continue
    }
    let fd: number
    try {
      fd = fs.openSync(file, 'r')
    } catch {
      continue // gone already: its writer finished with it
    }
    try {
      if (fileLocks.lock(fd, 'exclusive')) fs.rmSync(file, { force: true })
    } finally {
      fs.closeSync(fd)
    }
  }
}

/**
 * Takes the lock that keeps a temporary file from removeAbandonedTempFiles,
 * on a descriptor the writer keeps open while the file may still be used.
 * Between the file's creation and this lock an opener may find it unheld and
 * remove it: false says so (the lock is held by that opener, or `file` no
 * longer names this descriptor's file), and the writer must build it again
 * under a name of its own that no opener has listed.
 */
export function holdTempFile(fd: number, file: string): boolean {
  if (!kernelLocks) return true
  if (!fileLocks.lock(fd, 'exclusive')) return false
  try {
    const held = fs.fstatSync(fd)
    const named = fs.statSync(file)
    return held.ino === named.ino && held.dev === named.dev
  } catch {
    return false
  }
}

/** How many times a writer builds a temporary file again after openers removed it: each new name escapes the openers that listed the old one. */
export const TEMP_FILE_ATTEMPTS = 8

/** Whether `pid` names a live process (one this process may not signal counts: it exists). */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return !isSystemError(err, 'ESRCH')
  }
}
