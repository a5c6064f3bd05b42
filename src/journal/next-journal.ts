import fs from 'node:fs'
import { setImmediate as nextTurn } from 'node:timers/promises'
import type { MappingApi } from '../native.js'
import { createJournal, linkPreparedJournal, prepareJournal } from './journal-creation.js'
import { holdTempFile } from './temp-files.js'

/**
 * The journal after the active one, built ahead of time (FORMAT.md
 * §Appending, step 4). Creating a 64 MiB journal costs milliseconds, and tens
 * of them while other writes are being flushed: the writer that crosses the
 * end would wait for all of it. Built here on the thread pool while the
 * active journal still has room, it waits under its private name, so no one
 * sees an empty journal ahead of the active one, and a rotation only links
 * it into place.
 */
export class NextJournal {
  readonly #api: MappingApi
  readonly #dir: string
  readonly #journalBytes: number
  readonly #now: () => number
  /** The journal asked for last; on disk (or on its way) until `create` takes it or its build fails. */
  #askedId = 0
  /** The built journal, and a descriptor holding its lock (temp-files.ts) until it is linked or removed. */
  #ready: { id: number; file: string; fd: number } | undefined
  /** Work under way off this thread: builds, and removals of private names. */
  #work = new Set<Promise<void>>()
  #closed = false

  constructor(api: MappingApi, dir: string, journalBytes: number, now: () => number) {
    this.#api = api
    this.#dir = dir
    this.#journalBytes = journalBytes
    this.#now = now
  }

  /**
   * Starts building journal `id`. `wanted` is asked before each step and once
   * it is built: a directory that closed, or made the journal itself
   * meanwhile, gets no file. The build starts on the next turn of the event
   * loop: a writer that never yields fills journal after journal without one,
   * and has no use for a build it could not wait for. A failure here is left
   * for the rotation itself to meet and report.
   */
  prepare(id: number, wanted: () => boolean): void {
    this.#askedId = id
    const stillWanted = () => !this.#closed && wanted()
    this.#track(nextTurn()
      .then(() => prepareJournal(this.#api, this.#dir, id, this.#journalBytes, this.#now(), stillWanted))
      .then((file) => this.#keep(id, file, stillWanted()), () => this.#keep(id, undefined, false)))
  }

  /** Makes journal `id` exist: links the one built for it, or creates it here and now. */
  create(id: number): void {
    const ready = this.#ready
    this.#ready = undefined
    if (ready?.id !== id) {
      if (ready !== undefined) release(ready)
      createJournal(this.#api, this.#dir, id, this.#journalBytes, this.#now())
      return
    }
    let linked = false
    try {
      linkPreparedJournal(ready.file, this.#dir, id)
      linked = true
    } catch {
      // Removed between its build and its lock by an opener that found it unheld: build it here.
    } finally {
      // Off the writer's path: even this unlink can wait on the filesystem's journal commit.
      this.#track(fs.promises.rm(ready.file, { force: true }).finally(() => fs.closeSync(ready.fd)))
    }
    if (!linked) createJournal(this.#api, this.#dir, id, this.#journalBytes, this.#now())
  }

  /**
   * Another process made journal `id` (a follower found it): a journal built
   * here for it, or for an earlier id, will never be linked. Removes it.
   */
  discardThrough(id: number): void {
    if (this.#ready === undefined || this.#ready.id > id) return
    this.#track(Promise.resolve(this.#ready).then(release))
    this.#ready = undefined
  }

  /** Disk bytes held by a journal built (or being built) past `newestId`, the newest one open. */
  bytesBeyond(newestId: number): number {
    return this.#askedId > newestId ? this.#journalBytes : 0
  }

  /** Resolves once the work started so far has finished. */
  async settled(): Promise<void> {
    await Promise.all(this.#work)
  }

  /** Removes a built journal; a build still under way removes its own file when it finds it is no longer wanted. */
  close(): void {
    this.#closed = true
    if (this.#ready !== undefined) release(this.#ready)
    this.#ready = undefined
  }

  #keep(id: number, file: string | undefined, wanted: boolean): void {
    if (file !== undefined && wanted) {
      let fd: number
      try {
        fd = fs.openSync(file, 'r')
      } catch {
        if (this.#askedId === id) this.#askedId = 0
        return // removed meanwhile by an opener that found it unheld: the rotation creates it
      }
      if (!holdTempFile(fd, file)) {
        fs.closeSync(fd)
        if (this.#askedId === id) this.#askedId = 0
        return // an opener found it unheld between the build and this lock: the rotation creates it
      }
      if (this.#ready !== undefined) release(this.#ready)
      this.#ready = { id, file, fd }
      return
    }
    if (file !== undefined) fs.rmSync(file, { force: true })
    if (this.#askedId === id) this.#askedId = 0
  }

  #track(work: Promise<unknown>): void {
    const settled: Promise<void> = work.then(() => {}, () => {}).finally(() => this.#work.delete(settled))
    this.#work.add(settled)
  }
}

function release(ready: { file: string; fd: number }): void {
  fs.rmSync(ready.file, { force: true })
  fs.closeSync(ready.fd)
}
