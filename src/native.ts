/**
 * The one place that loads the native addon (native/build/Release/spillway.node)
 * and picks the backend for this process: 'mmap' when the addon loads, else
 * the pure-TypeScript 'pread' fallback (see src/native-fallback.ts for what
 * that one cannot do).
 *
 * SPILLWAY_BACKEND=pread forces the fallback for mappings and I/O; the addon
 * is still loaded, when it can be, for the kernel's flock, which the journal
 * directory's writer lock needs to hold between processes
 * (src/journal/writer-lock.ts);
 * SPILLWAY_BACKEND=mmap turns a load failure into an import-time error
 * (code ERR_NATIVE_UNAVAILABLE), for deployments that must not silently lose
 * cross-process sharing.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { markAsUntransferable } from 'node:worker_threads'
import { SpillwayError } from './errors.js'
import { preadBackend } from './native-fallback.js'

export type BackendName = 'mmap' | 'pread'
export type Advice = 'normal' | 'random' | 'sequential' | 'willneed' | 'dontneed'
export type LockMode = 'exclusive' | 'shared' | 'unlock'

export interface MappingApi {
  readonly name: BackendName
  /** Maps bytes [0, length) of the open file `fd`, MAP_SHARED, read-only or read-write. Returns an ArrayBuffer over the mapping whose finalizer unmaps it if unmap() was never called. Throws (code EINVAL) if length is 0 or exceeds the file's current size (mapping past EOF would SIGBUS). */
  map(fd: number, length: number, writable: boolean): ArrayBuffer
  /** Detaches the ArrayBuffer first (every view becomes zero-length), then munmaps. Calling it again is a no-op. */
  unmap(buffer: ArrayBuffer): void
  /** msync of [offset, offset+length) (offset rounded down to the page); wait=true → MS_SYNC, false → MS_ASYNC. */
  sync(buffer: ArrayBuffer, offset: number, length: number, wait: boolean): void
  /** MS_SYNC of the range on the libuv threadpool, so the event loop never blocks. */
  syncAsync(buffer: ArrayBuffer, offset: number, length: number): Promise<void>
  /** madvise over a range (offset rounded down to page). */
  advise(buffer: ArrayBuffer, offset: number, length: number, advice: Advice): void
  /** mincore: fraction (0..1) of the mapping's pages resident in memory. */
  residentFraction(buffer: ArrayBuffer): number
  /** posix_fallocate(fd, offset, length): real allocation, not sparse. Throws code ENOSPC when the disk is full. */
  allocate(fd: number, offset: number, length: number): void
  /** Non-blocking flock. true when acquired (or unlocked), false when another holder blocks it. */
  lock(fd: number, mode: LockMode): boolean
  /** CRC32C of bytes[offset, offset+length) continuing from `crc` (0 to start); chains across calls. */
  crc32c(crc: number, bytes: Uint8Array, offset: number, length: number): number
}

/** Shape of the compiled addon's exports (native/src/addon.cc): the mapping calls, plus two facts about the machine. */
interface Addon extends Omit<MappingApi, 'name'> {
  pageSize: number
  crc32cHardware: boolean
}

const ADDON_FUNCTIONS = ['map', 'unmap', 'sync', 'syncAsync', 'advise', 'residentFraction', 'allocate', 'lock', 'crc32c'] as const

/** Walks up from this module (dist/src/ when compiled, src/ under tsx) to the package root. */
function packageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url))
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'native', 'binding.gyp'))) return dir
    // Stop at our own package.json: above it lies the consumer's project,
    // whose native/ (if any) is not ours to load.
    if (existsSync(join(dir, 'package.json')) || dirname(dir) === dir) {
      throw new Error(`spillway: no native/binding.gyp between ${start} and ${dir}`)
    }
  }
}

let loaded: { addon: Addon } | { error: Error } | undefined

function loadAddon(): Addon | undefined {
  if (loaded === undefined) {
    try {
      const file = join(packageRoot(), 'native', 'build', 'Release', 'spillway.node')
      const addon = createRequire(import.meta.url)(file) as Addon
      // A stale build from an older interface would fail later and obscurely.
      const missing = ADDON_FUNCTIONS.filter((name) => typeof addon[name] !== 'function')
      if (missing.length > 0) throw new Error(`spillway: ${file} lacks ${missing.join(', ')}; rebuild it`)
      loaded = { addon }
    } catch (err) {
      // The loader's own code (ERR_DLOPEN_FAILED, MODULE_NOT_FOUND, ...) stays on the cause.
      const reason = err instanceof Error ? err.message : String(err)
      loaded = { error: new SpillwayError('ERR_NATIVE_UNAVAILABLE', `spillway: the native addon did not load: ${reason}`, { cause: err }) }
    }
  }
  return 'addon' in loaded ? loaded.addon : undefined
}

function mmapBackend(addon: Addon): MappingApi {
  return {
    name: 'mmap',
    map(fd, length, writable) {
      const buffer = addon.map(fd, length, writable)
      // Transferring would move the pages to another thread while this
      // thread's environment still owns (and at teardown unmaps) them; marked
      // buffers are copied by postMessage/structuredClone instead.
      markAsUntransferable(buffer)
      return buffer
    },
    unmap: addon.unmap,
    sync: addon.sync,
    // async so argument errors reject like everything else the promise reports.
    async syncAsync(buffer, offset, length) {
      return addon.syncAsync(buffer, offset, length)
    },
    advise: addon.advise,
    residentFraction: addon.residentFraction,
    allocate: addon.allocate,
    lock: addon.lock,
    crc32c: addon.crc32c,
  }
}

let mmapApi: MappingApi | undefined

function chooseDefault(): MappingApi {
  const requested = process.env['SPILLWAY_BACKEND']
  if (requested === 'pread') return preadBackend
  if (requested !== undefined && requested !== '' && requested !== 'mmap') {
    throw invalidBackend(`SPILLWAY_BACKEND must be 'mmap' or 'pread', not '${requested}'`)
  }
  if (requested === 'mmap') return mappingFor('mmap')
  return loadAddon() !== undefined ? mappingFor('mmap') : preadBackend
}

/** The API for a named backend; throws if 'mmap' is requested but the addon is unavailable. */
export function mappingFor(name: BackendName): MappingApi {
  if (name === 'pread') return preadBackend
  if (name !== 'mmap') throw invalidBackend(`unknown backend '${String(name)}'`)
  const addon = loadAddon()
  if (addon === undefined) {
    const cause = nativeLoadError()
    throw new SpillwayError('ERR_NATIVE_UNAVAILABLE',
      `spillway: the native mmap backend is unavailable (${cause?.message ?? 'unknown reason'}). ` +
        'Build it with `node scripts/build-native.mjs` (needs a C++17 compiler), or set SPILLWAY_BACKEND=pread.',
      { cause })
  }
  return (mmapApi ??= mmapBackend(addon))
}

/** A backend name that is neither 'mmap' nor 'pread': a TypeError with Node's code for a bad argument value. */
function invalidBackend(message: string): TypeError {
  return Object.assign(new TypeError(`spillway: ${message}`), { code: 'ERR_INVALID_ARG_VALUE' })
}

/** Why the addon did not load (a SpillwayError, code ERR_NATIVE_UNAVAILABLE), if it did not. Probes it if nothing has yet. */
export function nativeLoadError(): Error | undefined {
  loadAddon()
  return loaded !== undefined && 'error' in loaded ? loaded.error : undefined
}

/** Backends usable in this process, whatever SPILLWAY_BACKEND picked as the default. */
export function availableBackends(): BackendName[] {
  return loadAddon() !== undefined ? ['mmap', 'pread'] : ['pread']
}

/** The backend chosen for this process. */
export const mapping: MappingApi = chooseDefault()

/** 'mmap' or 'pread': which backend `mapping` is. */
export function backend(): BackendName {
  return mapping.name
}

/** Page size of this machine: sysconf from the addon, or 4096 when it is not loaded. */
export const PAGE_SIZE: number =
  loaded !== undefined && 'addon' in loaded ? loaded.addon.pageSize : 4096

/** Whether native crc32c uses the SSE4.2 instruction (false without the addon). */
export function crc32cHardware(): boolean {
  return loaded !== undefined && 'addon' in loaded ? loaded.addon.crc32cHardware : false
}
