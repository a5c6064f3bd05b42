/**
 * The pure-TypeScript 'pread' backend, used when the native addon is not built
 * (or SPILLWAY_BACKEND=pread). Same interface as the mmap backend; only
 * src/native.ts imports it.
 *
 * What it cannot do, and callers must not rely on under this backend:
 * - Atomic claims across processes or worker threads: each "mapping" is a
 *   private in-heap copy of the file, so Atomics on it are only atomic within
 *   this thread, and two threads mapping the same file get two copies.
 * - See other processes' (or threads') writes: the copy is a snapshot taken at
 *   map(); re-map to refresh.
 * - Lock across processes or worker threads: Node has no flock, so lock()
 *   only arbitrates between file descriptors inside this thread.
 * - Write through: bytes reach the file only at sync()/syncAsync(), which
 *   write back the whole requested range, overwriting whatever another writer
 *   put there in the meantime. unmap() discards unsynced changes.
 * Both sync() and syncAsync() write back on the calling thread, at the call;
 * syncAsync() moves only the fdatasync off it. Write-backs therefore reach the
 * file in call order, as msync's do: a queued write of an older snapshot can
 * never land over a newer one (a sealed journal's header, say, written while
 * an earlier flush of the same page was still waiting for the thread pool).
 * It also cannot reserve holes below the current EOF in allocate() (no way to
 * see holes from JS); it only extends short files with real zeros.
 */
import * as fs from 'node:fs'
import { promisify } from 'node:util'
import { crc32c } from './crc32c.js'
import type { Advice, LockMode, MappingApi } from './native.js'
import type { SystemError } from './errors.js'

const ADVICE = new Set<string>(['normal', 'random', 'sequential', 'willneed', 'dontneed'])
const LOCK_MODES = new Set<string>(['exclusive', 'shared', 'unlock'])
const ZERO_CHUNK = 1 << 16
/** Node refuses a single read or write of 2 GiB or more (kIoMaxLength); a mapping may be 2 GiB. */
const IO_CHUNK = 1 << 30
const MESSAGES: Record<string, string> = {
  EINVAL: 'invalid argument',
  EACCES: 'permission denied',
  EBADF: 'bad file descriptor',
}

const fdatasyncAsync = promisify(fs.fdatasync)

interface Region {
  fd: number
  writable: boolean
}

/** Live fallback "mappings"; a WeakMap so dropped buffers need no finalizer. */
const regions = new WeakMap<ArrayBuffer, Region>()

/** `${dev}:${ino}` → fd → held mode. Per thread, see the header comment. */
const locks = new Map<string, Map<number, 'exclusive' | 'shared'>>()

function argError(Ctor: typeof TypeError | typeof RangeError, code: string, message: string): Error {
  return Object.assign(new Ctor(message), { code })
}

function systemError(code: string, syscall: string, errno: number, cause?: unknown): SystemError {
  const message = `${code}: ${MESSAGES[code] ?? (cause as Error | undefined)?.message ?? 'error'}, ${syscall}`
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code, syscall, errno })
}

/** Re-labels a Node fs error with the syscall the native backend would name. */
function asSyscall(err: unknown, syscall: string): unknown {
  if (!(err instanceof Error) || typeof (err as SystemError).code !== 'string') return err
  const e = err as SystemError
  const detail = e.message.replace(/^[A-Z]+: /, '').replace(/, \w+.*$/, '')
  return Object.assign(new Error(`${e.code}: ${detail}, ${syscall}`, { cause: err }),
    { code: e.code, syscall, errno: e.errno })
}

function checkIndex(value: unknown, name: string): number {
  if (typeof value !== 'number') {
    throw argError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type number`)
  }
  if (!Number.isSafeInteger(value) || value < 0) {
    throw argError(RangeError, 'ERR_OUT_OF_RANGE',
      `The value of "${name}" is out of range. It must be a non-negative safe integer.`)
  }
  return value
}

function checkFd(value: unknown): number {
  const fd = checkIndex(value, 'fd')
  if (fd > 0x7fffffff) throw argError(RangeError, 'ERR_OUT_OF_RANGE', 'The value of "fd" is out of range.')
  return fd
}

function checkBool(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') {
    throw argError(TypeError, 'ERR_INVALID_ARG_TYPE', `The "${name}" argument must be of type boolean`)
  }
  return value
}

function regionOf(buffer: unknown): Region {
  if (!(buffer instanceof ArrayBuffer)) {
    throw argError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "buffer" argument must be an ArrayBuffer returned by map()')
  }
  const region = regions.get(buffer)
  if (region === undefined || buffer.byteLength === 0) {
    throw argError(TypeError, 'ERR_INVALID_ARG_VALUE',
      'The "buffer" argument is not a live mapping (unmapped, or not returned by map())')
  }
  return region
}

function checkRange(buffer: ArrayBuffer, offset: unknown, length: unknown): [number, number] {
  const off = checkIndex(offset, 'offset')
  const len = checkIndex(length, 'length')
  if (off + len > buffer.byteLength) {
    throw argError(RangeError, 'ERR_OUT_OF_RANGE', 'The range [offset, offset + length) is outside the buffer')
  }
  return [off, len]
}

function map(fd: number, length: number, writable: boolean): ArrayBuffer {
  checkFd(fd)
  checkIndex(length, 'length')
  checkBool(writable, 'writable')
  let size: number
  try {
    size = fs.fstatSync(fd).size
  } catch (err) {
    throw asSyscall(err, 'mmap')
  }
  if (length === 0 || length > size) throw systemError('EINVAL', 'mmap', -22)
  if (writable) {
    // mmap(PROT_WRITE) on a read-only fd fails with EACCES; a zero-byte
    // pwrite is the only way to ask Node whether the fd is writable.
    try {
      fs.writeSync(fd, new Uint8Array(0), 0, 0, 0)
    } catch (err) {
      throw (err as SystemError).code === 'EBADF' ? systemError('EACCES', 'mmap', -13, err) : asSyscall(err, 'mmap')
    }
  }
  const buffer = new ArrayBuffer(length)
  const bytes = new Uint8Array(buffer)
  try {
    for (let done = 0; done < length;) {
      const n = fs.readSync(fd, bytes, done, Math.min(IO_CHUNK, length - done), done)
      if (n === 0) throw systemError('EINVAL', 'mmap', -22) // file shrank under us
      done += n
    }
  } catch (err) {
    throw (err as SystemError).code === 'EBADF' ? systemError('EACCES', 'mmap', -13, err) : asSyscall(err, 'mmap')
  }
  regions.set(buffer, { fd, writable })
  return buffer
}

function unmap(buffer: ArrayBuffer): void {
  if (!(buffer instanceof ArrayBuffer)) {
    throw argError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "buffer" argument must be an ArrayBuffer returned by map()')
  }
  if (buffer.byteLength === 0) return // already detached
  regionOf(buffer)
  regions.delete(buffer)
  // Transferring is the only way to detach on Node 20, so every view over
  // the buffer goes zero-length just as with a real munmap.
  structuredClone(buffer, { transfer: [buffer] })
}

function writeBack(region: Region, buffer: ArrayBuffer, offset: number, length: number): void {
  const bytes = new Uint8Array(buffer, offset, length)
  for (let done = 0; done < length;) {
    done += fs.writeSync(region.fd, bytes, done, Math.min(IO_CHUNK, length - done), offset + done)
  }
}

function sync(buffer: ArrayBuffer, offset: number, length: number, wait: boolean): void {
  const region = regionOf(buffer)
  const [off, len] = checkRange(buffer, offset, length)
  checkBool(wait, 'wait')
  try {
    // A read-only "mapping" has nothing to write back, but what was written before it was remapped
    // read-only (a sealed journal) must still reach the disk when asked to.
    if (region.writable) writeBack(region, buffer, off, len)
    if (wait) fs.fdatasyncSync(region.fd)
  } catch (err) {
    throw asSyscall(err, 'msync')
  }
}

async function syncAsync(buffer: ArrayBuffer, offset: number, length: number): Promise<void> {
  const region = regionOf(buffer)
  const [off, len] = checkRange(buffer, offset, length)
  try {
    if (region.writable) writeBack(region, buffer, off, len)
    await fdatasyncAsync(region.fd)
  } catch (err) {
    throw asSyscall(err, 'msync')
  }
}

function advise(buffer: ArrayBuffer, offset: number, length: number, advice: Advice): void {
  regionOf(buffer)
  checkRange(buffer, offset, length)
  if (typeof advice !== 'string') throw argError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "advice" argument must be of type string')
  if (!ADVICE.has(advice)) {
    throw argError(TypeError, 'ERR_INVALID_ARG_VALUE',
      'The "advice" argument must be one of normal, random, sequential, willneed, dontneed')
  }
}

function residentFraction(buffer: ArrayBuffer): number {
  regionOf(buffer)
  return 1
}

function allocate(fd: number, offset: number, length: number): void {
  checkFd(fd)
  checkIndex(offset, 'offset')
  checkIndex(length, 'length')
  if (length === 0) throw systemError('EINVAL', 'posix_fallocate', -22)
  let size: number
  try {
    size = fs.fstatSync(fd).size
  } catch (err) {
    throw asSyscall(err, 'posix_fallocate')
  }
  const end = offset + length
  if (end <= size) return
  const zeros = new Uint8Array(Math.min(ZERO_CHUNK, end - Math.max(size, offset)))
  try {
    // Real zeros, not ftruncate: a sparse extension would defer ENOSPC to
    // some later write instead of failing here.
    for (let pos = Math.max(size, offset); pos < end;) {
      pos += fs.writeSync(fd, zeros, 0, Math.min(zeros.length, end - pos), pos)
    }
    // Writing from `offset` past EOF leaves [size, offset) as a hole but the
    // length is right, as with posix_fallocate.
  } catch (err) {
    try {
      fs.ftruncateSync(fd, size) // don't leave a half-reserved tail
    } catch {
      // The original error is the one worth reporting.
    }
    throw asSyscall(err, 'posix_fallocate')
  }
}

function fileKey(fd: number): string | undefined {
  try {
    const st = fs.fstatSync(fd, { bigint: true })
    return `${st.dev}:${st.ino}`
  } catch {
    return undefined
  }
}

function lock(fd: number, mode: LockMode): boolean {
  checkFd(fd)
  if (typeof mode !== 'string') throw argError(TypeError, 'ERR_INVALID_ARG_TYPE', 'The "mode" argument must be of type string')
  if (!LOCK_MODES.has(mode)) {
    throw argError(TypeError, 'ERR_INVALID_ARG_VALUE', 'The "mode" argument must be one of exclusive, shared, unlock')
  }
  const key = fileKey(fd)
  if (key === undefined) throw systemError('EBADF', 'flock', -9)
  let holders = locks.get(key)
  if (mode === 'unlock') {
    holders?.delete(fd)
    if (holders?.size === 0) locks.delete(key)
    return true
  }
  if (holders === undefined) locks.set(key, (holders = new Map()))
  for (const [other, held] of holders) {
    if (other === fd) continue
    // flock locks die with their fd; we cannot see close(), so drop holders
    // whose fd is gone or now names another file.
    if (fileKey(other) !== key) {
      holders.delete(other)
      continue
    }
    if (mode === 'exclusive' || held === 'exclusive') return false
  }
  holders.set(fd, mode)
  return true
}

export const preadBackend: MappingApi = {
  name: 'pread',
  map,
  unmap,
  sync,
  syncAsync,
  advise,
  residentFraction,
  allocate,
  lock,
  crc32c,
}
