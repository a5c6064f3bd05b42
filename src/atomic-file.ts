import fs from 'node:fs'
import path from 'node:path'
import { threadId } from 'node:worker_threads'
import { holdTempFile, TEMP_FILE_ATTEMPTS } from './journal/temp-files.js'

/**
 * Writes a whole file under a private name and renames it into place, so a
 * reader sees the old file or the new one and never a half-written one.
 * No fsync: everything written this way can be rebuilt from the journals, and
 * its own checksum catches a copy the kernel lost.
 */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  for (let attempt = 0; attempt < TEMP_FILE_ATTEMPTS; attempt++) {
    // The journal directory's clean-up at open removes `.<name>.<pid>.<thread>.tmp` files that no one holds locked.
    const tmp = path.join(path.dirname(file), `.${path.basename(file)}${attempt === 0 ? '' : `.${attempt}`}.${process.pid}.${threadId}.tmp`)
    const fd = fs.openSync(tmp, 'w')
    try {
      if (!holdTempFile(fd, tmp)) continue
      fs.writeFileSync(fd, bytes)
      fs.renameSync(tmp, file)
      return
    } catch (err) {
      fs.rmSync(tmp, { force: true })
      throw err
    } finally {
      fs.closeSync(fd)
    }
  }
  throw new Error(`writing ${file}: its temporary file was removed ${TEMP_FILE_ATTEMPTS} times by other openers`)
}

/** The file's bytes, or undefined when it does not exist. */
export function readFileIfExists(file: string): Uint8Array | undefined {
  try {
    return fs.readFileSync(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** The same, read on the thread pool. */
export async function readFileIfExistsAsync(file: string): Promise<Uint8Array | undefined> {
  try {
    return await fs.promises.readFile(file)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}
