import fs from 'node:fs'
import path from 'node:path'
import { threadId } from 'node:worker_threads'
import { crc32c } from '../checksum.js'
import { isSystemError } from '../errors.js'
import { holdTempFile, TEMP_FILE_ATTEMPTS } from '../journal/temp-files.js'
import type { MappingApi } from '../native.js'

/** What one kind of shared file holds (FORMAT.md §Shared files). */
export interface SharedFileKind {
  /** The file's name in the store directory, e.g. `LEASES`. */
  readonly name: string
  /** 4 ASCII characters. */
  readonly magic: string
  readonly version: number
  readonly entries: number
  /** A multiple of 8, so 64-bit words stay aligned. */
  readonly entryBytes: number
}

/** The header before the entries (FORMAT.md §Shared files): static, covered by its CRC. */
export const SHARED_HEADER_BYTES = 64
const HDR_MAGIC = 0
const HDR_VERSION = 4
const HDR_ENTRIES = 8
const HDR_ENTRY_BYTES = 12
const HDR_CRC = 60

/** A shared file's entries: in a MAP_SHARED mapping of the file, or in this thread's heap when it cannot be shared. */
export interface SharedFile {
  /** The whole file (header included); entries start at SHARED_HEADER_BYTES. */
  readonly buffer: ArrayBuffer
  /** False when the entries are private to this thread: the pread backend, or a file that could not be made or trusted. */
  readonly shared: boolean
  /** Why the entries are not shared, when they are not. */
  readonly reason: string | undefined
  close(): void
}

/**
 * Maps `kind`'s file in `dir`, creating it if it does not exist. It is built
 * whole under a private name (allocated, so a full disk fails here and never
 * as SIGBUS later; header written) and linked into place, so every opener,
 * in any process or thread, maps the same complete file and exactly one
 * creator wins. Nothing here throws: a file that cannot be created, mapped
 * or trusted (a damaged header, another version) leaves this opener with
 * private entries, which costs sharing, never correctness. The pread
 * backend has no shared mapping, so it always gets private entries.
 */
export function openSharedFile(api: MappingApi, dir: string, kind: SharedFileKind): SharedFile {
  const size = SHARED_HEADER_BYTES + kind.entries * kind.entryBytes
  if (api.name !== 'mmap') return privateFile(size, kind, 'the pread backend has no shared mapping')
  const file = path.join(dir, kind.name)
  try {
    let fd = openExisting(file)
    if (fd === undefined) {
      create(api, file, size, kind)
      fd = openExisting(file)
      if (fd === undefined) return privateFile(size, kind, `${file} vanished after its creation`)
    }
    try {
      const problem = checkFile(fd, size, kind)
      if (problem !== undefined) return privateFile(size, kind, `${file}: ${problem}`)
      const buffer = api.map(fd, size, true)
      return { buffer, shared: true, reason: undefined, close: () => api.unmap(buffer) }
    } finally {
      fs.closeSync(fd)
    }
  } catch (err) {
    return privateFile(size, kind, `${file}: ${err instanceof Error ? err.message : String(err)}`)
  }
}

function privateFile(size: number, kind: SharedFileKind, reason: string): SharedFile {
  const buffer = new ArrayBuffer(size)
  writeSharedHeader(new Uint8Array(buffer), kind)
  return { buffer, shared: false, reason, close() {} }
}

function openExisting(file: string): number | undefined {
  try {
    return fs.openSync(file, 'r+')
  } catch (err) {
    if (isSystemError(err, 'ENOENT')) return undefined
    throw err
  }
}

/** Builds the file under a private name and links it into place; another creator's link first is as good. */
function create(api: MappingApi, file: string, size: number, kind: SharedFileKind): void {
  const header = new Uint8Array(SHARED_HEADER_BYTES)
  writeSharedHeader(header, kind)
  for (let attempt = 0; attempt < TEMP_FILE_ATTEMPTS; attempt++) {
    // `.<name>.<pid>.<thread>.tmp`: the journal directory's clean-up at open removes those no one holds locked.
    const tmp = path.join(path.dirname(file), `.${kind.name}${attempt === 0 ? '' : `.${attempt}`}.${process.pid}.${threadId}.tmp`)
    const fd = fs.openSync(tmp, 'w+')
    try {
      if (!holdTempFile(fd, tmp)) continue
      api.allocate(fd, 0, size)
      fs.writeSync(fd, header, 0, header.byteLength, 0)
      try {
        fs.linkSync(tmp, file)
      } catch (err) {
        if (!isSystemError(err, 'EEXIST')) throw err
      }
      return
    } finally {
      fs.rmSync(tmp, { force: true })
      fs.closeSync(fd)
    }
  }
  throw new Error(`its temporary file was removed ${TEMP_FILE_ATTEMPTS} times by other openers`)
}

export function writeSharedHeader(bytes: Uint8Array, kind: SharedFileKind): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, SHARED_HEADER_BYTES)
  for (let i = 0; i < 4; i++) dv.setUint8(HDR_MAGIC + i, kind.magic.charCodeAt(i))
  dv.setUint32(HDR_VERSION, kind.version, true)
  dv.setUint32(HDR_ENTRIES, kind.entries, true)
  dv.setUint32(HDR_ENTRY_BYTES, kind.entryBytes, true)
  dv.setUint32(HDR_CRC, crc32c(0, bytes, 0, HDR_CRC), true)
}

/** Why the open file is not `kind`'s as this version lays it out, or undefined when it is. */
function checkFile(fd: number, size: number, kind: SharedFileKind): string | undefined {
  const actual = fs.fstatSync(fd).size
  const header = new Uint8Array(SHARED_HEADER_BYTES)
  if (actual < SHARED_HEADER_BYTES || fs.readSync(fd, header, 0, SHARED_HEADER_BYTES, 0) !== SHARED_HEADER_BYTES) return `too short (${actual} bytes)`
  const dv = new DataView(header.buffer)
  if (dv.getUint32(HDR_CRC, true) !== crc32c(0, header, 0, HDR_CRC)) return 'header checksum mismatch'
  const magic = String.fromCharCode(...header.subarray(0, 4))
  if (magic !== kind.magic) return `magic ${JSON.stringify(magic)}, not ${kind.magic}`
  const version = dv.getUint32(HDR_VERSION, true)
  if (version !== kind.version) return `version ${version}, this build knows ${kind.version}`
  if (dv.getUint32(HDR_ENTRIES, true) !== kind.entries || dv.getUint32(HDR_ENTRY_BYTES, true) !== kind.entryBytes || actual !== size) {
    return `layout of ${dv.getUint32(HDR_ENTRIES, true)} × ${dv.getUint32(HDR_ENTRY_BYTES, true)} bytes in ${actual}, not ${kind.entries} × ${kind.entryBytes} in ${size}`
  }
  return undefined
}
