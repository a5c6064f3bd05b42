import fs from 'node:fs'

/** Node refuses a single read of 2 GiB or more (kIoMaxLength); journals may be 2 GiB. */
const IO_CHUNK = 1 << 30

/** Reads bytes.byteLength bytes of `fd` from `position`, in chunks Node accepts; the rest stays zero past EOF. */
export function readFully(fd: number, bytes: Uint8Array, position: number): void {
  for (let done = 0; done < bytes.byteLength;) {
    const n = fs.readSync(fd, bytes, done, Math.min(IO_CHUNK, bytes.byteLength - done), position + done)
    if (n === 0) return
    done += n
  }
}

/** fdatasync of `fd` on the thread pool: a cold journal's pages have no mapping to msync. */
export function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (err) => (err === null ? resolve() : reject(err))))
}
