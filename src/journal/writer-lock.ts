import fs from 'node:fs'
import { SpillwayError, translateWriteError } from '../errors.js'
import { availableBackends, mappingFor, type MappingApi } from '../native.js'

/** The lock calls: the kernel's flock when the addon loads, whatever the backend; else the fallback's, within this thread only. */
const locks: MappingApi = mappingFor(availableBackends()[0])
/** Whether `fileLocks` are the kernel's, and so hold between threads and processes. */
export const kernelLocks = locks.name === 'mmap'
export const fileLocks: Pick<MappingApi, 'lock'> = locks
const sleeper = new Int32Array(new SharedArrayBuffer(4))
/** A conversion can lose the lock for an instant to another prober; this many tries of 1 ms tell that from a lasting holder. */
const RETAKE_TRIES = 1000

/**
 * Who has a journal directory open to append: an flock on the directory
 * itself, shared by every JournalDir on the mmap backend (any number of them,
 * in any thread or process) and exclusive for one on the pread backend, whose
 * "mapping" is a private copy that cannot be shared. Each open takes its own
 * file description, so the lock holds between JournalDirs of one thread too.
 * The kernel drops it when its holder dies, which makes it the proof recovery
 * needs: when no one else holds it, no claim anywhere is still being written.
 */
export class WriterLock {
  readonly exclusive: boolean
  #fd: number
  #dir: string

  private constructor(dir: string, fd: number, exclusive: boolean) {
    this.#dir = dir
    this.#fd = fd
    this.exclusive = exclusive
  }

  /** Throws ERR_LOCKED when the directory is held in a way that excludes this JournalDir. */
  static acquire(dir: string, exclusive: boolean): WriterLock {
    let fd: number
    try {
      fd = fs.openSync(dir, 'r')
    } catch (err) {
      throw translateWriteError(err, `journal directory ${dir}`)
    }
    if (!locks.lock(fd, exclusive ? 'exclusive' : 'shared')) {
      fs.closeSync(fd)
      throw new SpillwayError('ERR_LOCKED', exclusive
        ? `journal directory ${dir} is open elsewhere; the pread backend needs it to itself`
        : `journal directory ${dir} is open elsewhere with the pread backend, which cannot share it`, { file: dir })
    }
    return new WriterLock(dir, fd, exclusive)
  }

  /**
   * Whether a JournalDir other than this one, in any thread or process, may
   * hold the directory now. False is a proof: no one else holds it, so every
   * claim still unpublished was made by a writer that is gone.
   */
  othersMayHold(): boolean {
    if (this.exclusive || this.#fd < 0) return false
    // flock converts by dropping the old lock first, and a refused conversion leaves none: take it back.
    const alone = locks.lock(this.#fd, 'exclusive')
    for (let tries = 0; !locks.lock(this.#fd, 'shared'); tries++) {
      if (tries === RETAKE_TRIES) throw new SpillwayError('ERR_LOCKED', `journal directory ${this.#dir} was taken by a pread opener`, { file: this.#dir })
      Atomics.wait(sleeper, 0, 0, 1)
    }
    return !alone
  }

  /** For a thread that holds nothing itself (the sidecar worker): whether any JournalDir holds `dir` now. */
  static held(dir: string): boolean {
    const fd = fs.openSync(dir, 'r')
    try {
      return !locks.lock(fd, 'exclusive')
    } finally {
      fs.closeSync(fd)
    }
  }

  release(): void {
    if (this.#fd < 0) return
    locks.lock(this.#fd, 'unlock')
    fs.closeSync(this.#fd)
    this.#fd = -1
  }
}
