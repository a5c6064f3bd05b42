import fs from 'node:fs'
import path from 'node:path'
import { isSystemError, SpillwayError, translateWriteError } from '../errors.js'
import { FORMAT_VERSION } from '../journal/format.js'
import { fileLocks } from '../journal/writer-lock.js'
import type { BackendName } from '../native.js'

/** What every store sharing a directory must agree on; written in `LOCK` by whoever opened it alone. */
interface SharedSettings {
  formatVersion: number
  journalBytes: number
}

const sleeper = new Int32Array(new SharedArrayBuffer(4))
/** Opens run their check one at a time; this many 1 ms waits on `OPENING` tell a slow opener from a stuck lock. */
const OPENING_TRIES = 10_000

/**
 * Who has a store directory open: an flock on `LOCK`, released by the
 * kernel when the process dies, so a crash never leaves the directory
 * locked. On the mmap backend it is shared: any number of stores, in any
 * processes, open one directory at once (README, "Cluster"). The pread
 * backend's journals are private copies that cannot be shared, so it holds
 * the lock exclusively, and a conflicting open gets ERR_LOCKED.
 *
 * Stores that share a directory must agree on the journal size and the
 * format: the first opener (alone) writes them into `LOCK`, and every later
 * opener compares before anything on disk is touched (ERR_OPTIONS_CONFLICT).
 * The check runs under an exclusive flock on `OPENING`, so two openers never
 * both believe they are alone.
 */
export class DirectoryLock {
  #fd: number

  private constructor(fd: number) {
    this.#fd = fd
  }

  static acquire(backend: BackendName, dir: string, journalBytes: number): DirectoryLock {
    let fd: number
    let opening: number
    try {
      fs.mkdirSync(dir, { recursive: true })
      fd = fs.openSync(path.join(dir, 'LOCK'), 'a+')
    } catch (err) {
      if (isSystemError(err, 'EEXIST') || isSystemError(err, 'ENOTDIR')) {
        throw new SpillwayError('ERR_NOT_A_DIRECTORY', `store directory ${dir}: a file that is not a directory is in the way`, { file: dir, cause: err })
      }
      throw translateWriteError(err, `store directory ${dir}`)
    }
    try {
      opening = fs.openSync(path.join(dir, 'OPENING'), 'a+')
    } catch (err) {
      fs.closeSync(fd)
      throw translateWriteError(err, `store directory ${dir}`)
    }
    try {
      takeOpeningTurn(opening, dir)
      const settings: SharedSettings = { formatVersion: FORMAT_VERSION, journalBytes }
      if (fileLocks.lock(fd, 'exclusive')) {
        // Alone: this open sets what later openers must agree with.
        fs.ftruncateSync(fd, 0)
        fs.writeSync(fd, JSON.stringify(settings), 0)
        if (backend === 'pread') return new DirectoryLock(fd)
        if (!fileLocks.lock(fd, 'shared')) throw lockedError(dir, backend)
        return new DirectoryLock(fd)
      }
      if (backend === 'pread' || !fileLocks.lock(fd, 'shared')) throw lockedError(dir, backend)
      const conflict = conflictWith(settings, fs.readFileSync(path.join(dir, 'LOCK'), 'utf8'))
      if (conflict !== undefined) {
        fileLocks.lock(fd, 'unlock')
        throw new SpillwayError('ERR_OPTIONS_CONFLICT', `store directory ${dir} is open in another process with ${conflict}`, { file: dir })
      }
      return new DirectoryLock(fd)
    } catch (err) {
      fs.closeSync(fd)
      throw err
    } finally {
      fileLocks.lock(opening, 'unlock')
      fs.closeSync(opening)
    }
  }

  release(): void {
    if (this.#fd < 0) return
    fileLocks.lock(this.#fd, 'unlock')
    fs.closeSync(this.#fd)
    this.#fd = -1
  }
}

function takeOpeningTurn(fd: number, dir: string): void {
  for (let tries = 0; !fileLocks.lock(fd, 'exclusive'); tries++) {
    if (tries === OPENING_TRIES) throw new SpillwayError('ERR_LOCKED', `store directory ${dir}: another open has held OPENING for 10 s`, { file: dir })
    Atomics.wait(sleeper, 0, 0, 1)
  }
}

function lockedError(dir: string, backend: BackendName): SpillwayError {
  return new SpillwayError('ERR_LOCKED', backend === 'pread'
    ? `store directory ${dir} is already open in another store; the pread backend cannot share a directory: use the mmap backend (the default when the native addon loads) in every process that opens it`
    : `store directory ${dir} is already open with the pread backend, which cannot share it; close that store, or open every store on it with the mmap backend`,
  { file: dir })
}

/** The settings that differ, in words, or undefined when they agree (or `LOCK` names none). */
function conflictWith(mine: SharedSettings, written: string): string | undefined {
  let theirs: Partial<SharedSettings>
  try {
    theirs = JSON.parse(written) as Partial<SharedSettings>
  } catch {
    return undefined
  }
  if (theirs.formatVersion !== undefined && theirs.formatVersion !== mine.formatVersion) {
    return `on-disk format version ${theirs.formatVersion}; this store writes version ${mine.formatVersion}`
  }
  if (theirs.journalBytes !== undefined && theirs.journalBytes !== mine.journalBytes) {
    return `journalBytes ${theirs.journalBytes}; this open asks for ${mine.journalBytes}: every store sharing a directory must use the same journalBytes`
  }
  return undefined
}
