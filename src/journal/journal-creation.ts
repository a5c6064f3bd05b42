import fs from 'node:fs'
import path from 'node:path'
import { threadId } from 'node:worker_threads'
import { isSystemError, SpillwayError, translateWriteError } from '../errors.js'
import type { MappingApi } from '../native.js'
import { HEADER_BYTES, journalFileName } from './format.js'
import { writeHeader } from './header.js'
import { holdTempFile, TEMP_FILE_ATTEMPTS } from './temp-files.js'

/**
 * Creates journal `id` in `dir`, fully allocated so that a full disk fails
 * here with ERR_DISK_FULL and never as SIGBUS on a later write into a hole.
 * The file is built under a private name and linked into place, so a
 * journal is never seen half-initialised and exactly one creator wins.
 * Returns false when another thread or process created it first.
 */
export function createJournal(api: MappingApi, dir: string, id: number, capacity: number, now: number): boolean {
  for (let attempt = 0; attempt < TEMP_FILE_ATTEMPTS; attempt++) {
    const created = createUnder(api, dir, id, capacity, now, attempt)
    if (created !== undefined) return created
  }
  throw new SpillwayError('ERR_DIR_NOT_WRITABLE', `creating journal ${path.join(dir, journalFileName(id))}: its temporary file was removed ${TEMP_FILE_ATTEMPTS} times by other openers`)
}

/** One attempt of createJournal; undefined when an opener removed the temporary file before it was locked. */
function createUnder(api: MappingApi, dir: string, id: number, capacity: number, now: number, attempt: number): boolean | undefined {
  const { file, tmp, header } = newJournalFiles(dir, id, capacity, now, attempt === 0 ? 'sync' : `sync${attempt}`)
  let fd: number
  try {
    fd = fs.openSync(tmp, 'wx+')
  } catch (err) {
    throw translateWriteError(err, `creating journal ${file}`)
  }
  try {
    // Locked until it is linked and removed: an opener elsewhere removes only temporary files no one holds.
    if (!holdTempFile(fd, tmp)) return undefined
    api.allocate(fd, 0, capacity)
    fs.writeSync(fd, header, 0, HEADER_BYTES, 0)
    fs.fdatasyncSync(fd)
    return linkPreparedJournal(tmp, dir, id)
  } catch (err) {
    throw translateWriteError(err, `creating journal ${file}`)
  } finally {
    fs.rmSync(tmp, { force: true })
    fs.closeSync(fd)
  }
}

/**
 * Links journal `id`, built whole under the private name `prepared` (by
 * createJournal, or ahead of time by prepareJournal), into place; false when
 * another thread or process created the journal first. The private name is
 * left for the caller to remove, so NextJournal can do it off the writer's
 * path: even that unlink can wait on the filesystem's journal commit.
 */
export function linkPreparedJournal(prepared: string, dir: string, id: number): boolean {
  const file = path.join(dir, journalFileName(id))
  try {
    fs.linkSync(prepared, file)
    return true
  } catch (err) {
    if (isSystemError(err, 'EEXIST')) return false
    throw translateWriteError(err, `creating journal ${file}`)
  }
}

/**
 * Builds journal `id` as createJournal does, under its private name, with the
 * writes and the waiting on the thread pool: the fdatasync that makes the
 * header durable takes milliseconds, and tens of them while other writes
 * are being flushed. NextJournal prepares the next journal this way while
 * the active one still has room, so that a rotation only has to link it
 * into place. (The allocation stays on this thread: with the mmap backend
 * it is one posix_fallocate, which only reserves extents.) Resolves the
 * file's private name, or undefined when `wanted()`, asked before each
 * step, says no (the file is then removed).
 */
export async function prepareJournal(api: MappingApi, dir: string, id: number, capacity: number, now: number, wanted: () => boolean): Promise<string | undefined> {
  if (!wanted()) return undefined
  const { file, tmp, header } = newJournalFiles(dir, id, capacity, now, 'next')
  let handle: fs.promises.FileHandle
  try {
    handle = await fs.promises.open(tmp, 'wx+')
  } catch (err) {
    throw translateWriteError(err, `creating journal ${file}`)
  }
  let ready = false
  try {
    if (holdTempFile(handle.fd, tmp) && wanted()) {
      api.allocate(handle.fd, 0, capacity)
      await handle.write(header, 0, HEADER_BYTES, 0)
      await handle.datasync()
      ready = wanted()
    }
    return ready ? tmp : undefined
  } catch (err) {
    throw translateWriteError(err, `creating journal ${file}`)
  } finally {
    await handle.close()
    if (!ready) await fs.promises.rm(tmp, { force: true })
  }
}

/**
 * A new journal's final name, the private name it is built under (one per
 * process, thread and way of creating, so a synchronous creation racing a
 * prepared one never collides with it), and its header page.
 */
function newJournalFiles(dir: string, id: number, capacity: number, now: number, how: string): { file: string; tmp: string; header: Uint8Array } {
  const name = journalFileName(id)
  const header = new Uint8Array(HEADER_BYTES)
  writeHeader(header, { id, capacity, createdAt: now })
  return { file: path.join(dir, name), tmp: path.join(dir, `.${name}.${how}.${process.pid}.${threadId}.tmp`), header }
}
