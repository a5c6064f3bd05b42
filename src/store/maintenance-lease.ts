import fs from 'node:fs'
import path from 'node:path'
import { translateWriteError } from '../errors.js'
import { fileLocks } from '../journal/writer-lock.js'

/**
 * Compaction and disk-budget eviction run in one process at a time, among
 * all the processes sharing a directory: each turn of maintenance first
 * takes an exclusive flock on `MAINTENANCE`, without waiting, and lets it go
 * when the turn ends. A process that finds it held skips its turn: the
 * holder is doing the work. The kernel drops the lock when its holder dies,
 * so a crash mid-compaction leaves it free for the next process's turn
 * (which finishes the job: a drain left half done only cost some moves,
 * and the journal is drained again from its hint).
 */
export class MaintenanceLease {
  #fd: number
  #held = false

  private constructor(fd: number) {
    this.#fd = fd
  }

  static open(dir: string): MaintenanceLease {
    try {
      return new MaintenanceLease(fs.openSync(path.join(dir, 'MAINTENANCE'), 'a+'))
    } catch (err) {
      throw translateWriteError(err, `store directory ${dir}`)
    }
  }

  get held(): boolean {
    return this.#held
  }

  /** Runs `task` holding the lease; resolves `skipped` at once when another process holds it. */
  async run<T>(task: () => Promise<T>, skipped: T): Promise<T> {
    if (this.#fd < 0 || !fileLocks.lock(this.#fd, 'exclusive')) return skipped
    this.#held = true
    try {
      return await task()
    } finally {
      this.#held = false
      if (this.#fd >= 0) fileLocks.lock(this.#fd, 'unlock')
    }
  }

  close(): void {
    if (this.#fd < 0) return
    fs.closeSync(this.#fd)
    this.#fd = -1
  }
}
