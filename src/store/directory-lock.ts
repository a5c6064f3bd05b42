import fs from 'node:fs'
import path from 'node:path'
import { isSystemError, SpillwayError, translateWriteError } from '../errors.js'
import type { MappingApi } from '../native.js'

/**
 * One store per directory, until sharing a directory between processes
 * lands: an exclusive flock on `LOCK`, released when the process dies, so a
 * crash never leaves the directory locked.
 */
export class DirectoryLock {
  #fd: number
  #api: MappingApi

  private constructor(api: MappingApi, fd: number) {
    this.#api = api
    this.#fd = fd
  }

  static acquire(api: MappingApi, dir: string): DirectoryLock {
    let fd: number
    try {
      fs.mkdirSync(dir, { recursive: true })
      fd = fs.openSync(path.join(dir, 'LOCK'), 'a+')
    } catch (err) {
      if (isSystemError(err, 'EEXIST') || isSystemError(err, 'ENOTDIR')) {
        throw new SpillwayError('ERR_NOT_A_DIRECTORY', `store directory ${dir}: a file that is not a directory is in the way`, { file: dir, cause: err })
      }
      throw translateWriteError(err, `store directory ${dir}`)
    }
    if (!api.lock(fd, 'exclusive')) {
      fs.closeSync(fd)
      throw new SpillwayError('ERR_LOCKED', `store directory ${dir} is already open in another store`, { file: dir })
    }
    return new DirectoryLock(api, fd)
  }

  release(): void {
    if (this.#fd < 0) return
    this.#api.lock(this.#fd, 'unlock')
    fs.closeSync(this.#fd)
    this.#fd = -1
  }
}
