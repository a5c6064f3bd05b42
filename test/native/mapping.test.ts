import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import { once } from 'node:events'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { runOnTinyFilesystem } from '../helpers/tiny-filesystem.js'
import {
  availableBackends, backend, mapping, mappingFor, nativeLoadError, PAGE_SIZE, type BackendName,
} from '../../src/native.js'

const here = (name: string): string => fileURLToPath(new URL(name, import.meta.url))

describe('backend selection', () => {
  // Not skippable: a broken addon build must fail CI rather than quietly run
  // everything on the fallback. availableBackends() probes the addon even
  // when SPILLWAY_BACKEND=pread, so this checks the build in both runs.
  it('loads the native addon unless SPILLWAY_ALLOW_FALLBACK=1', () => {
    if (process.env['SPILLWAY_ALLOW_FALLBACK'] === '1') return
    assert.ok(availableBackends().includes('mmap'),
      `native addon did not load: ${nativeLoadError()?.message ?? '?'} (build with node scripts/build-native.mjs)`)
  })

  it('honours SPILLWAY_BACKEND for the default backend', () => {
    const expected: BackendName = process.env['SPILLWAY_BACKEND'] === 'pread' || !availableBackends().includes('mmap')
      ? 'pread' : 'mmap'
    assert.equal(backend(), expected)
    assert.equal(mapping.name, expected)
    assert.ok(PAGE_SIZE >= 4096 && (PAGE_SIZE & (PAGE_SIZE - 1)) === 0)
  })

  it('mappingFor names its backend and rejects unknown ones', () => {
    for (const name of availableBackends()) assert.equal(mappingFor(name).name, name)
    assert.throws(() => mappingFor('nope' as BackendName), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE', message: /unknown backend/ })
  })

  it('a native addon that does not load gives errors with a code, and the cause kept', () => {
    // A copy of the compiled modules in a package with no built addon.
    const root = fs.mkdtempSync(os.tmpdir() + '/spillway-noaddon-')
    after(() => fs.rmSync(root, { recursive: true, force: true }))
    fs.cpSync(fileURLToPath(new URL('../../src/', import.meta.url)), `${root}/dist/src`, { recursive: true })
    fs.mkdirSync(`${root}/native`)
    fs.writeFileSync(`${root}/native/binding.gyp`, '{}')
    fs.writeFileSync(`${root}/package.json`, '{"type":"module"}')
    const probe = (backendEnv: string | undefined) => spawnSync(process.execPath, ['--input-type=module', '-e', `
      try {
        const native = await import(${JSON.stringify(`${root}/dist/src/native.js`)})
        const loadError = native.nativeLoadError()
        let mmap
        try { native.mappingFor('mmap') } catch (err) { mmap = { code: err.code, causeCode: err.cause?.code } }
        console.log(JSON.stringify({ backend: native.backend(), load: { code: loadError?.code, causeCode: loadError?.cause?.code }, mmap }))
      } catch (err) {
        console.log(JSON.stringify({ importFailed: { code: err.code, name: err.name } }))
      }
    `], { encoding: 'utf8', env: { ...process.env, SPILLWAY_BACKEND: backendEnv ?? '' } })
    const fallback = JSON.parse(probe(undefined).stdout) as Record<string, unknown>
    assert.deepEqual(fallback, {
      backend: 'pread',
      load: { code: 'ERR_NATIVE_UNAVAILABLE', causeCode: 'MODULE_NOT_FOUND' },
      mmap: { code: 'ERR_NATIVE_UNAVAILABLE', causeCode: 'ERR_NATIVE_UNAVAILABLE' },
    })
    assert.deepEqual(JSON.parse(probe('mmap').stdout), { importFailed: { code: 'ERR_NATIVE_UNAVAILABLE', name: 'SpillwayError' } })
    assert.deepEqual(JSON.parse(probe('mmapp').stdout), { importFailed: { code: 'ERR_INVALID_ARG_VALUE', name: 'TypeError' } })
  })
})

for (const name of availableBackends()) {
  describe(`${name} backend`, () => {
    const api = mappingFor(name)
    let dir = ''
    let seq = 0
    const fds: number[] = []

    before(() => { dir = fs.mkdtempSync(os.tmpdir() + '/spillway-') })
    after(() => {
      for (const fd of fds) try { fs.closeSync(fd) } catch { /* already closed by the test */ }
      fs.rmSync(dir, { recursive: true, force: true })
    })

    /** A fresh file of `size` bytes (pattern i & 0xff) and an fd opened with `flags`. */
    function fixture(size: number, flags = 'r+'): { file: string; fd: number } {
      const file = `${dir}/f${seq++}`
      fs.writeFileSync(file, Uint8Array.from({ length: size }, (_, i) => i & 0xff))
      const fd = fs.openSync(file, flags)
      fds.push(fd)
      return { file, fd }
    }

    it('maps, reads, writes and syncs back to the file', () => {
      const { file, fd } = fixture(3 * 4096 + 100)
      const buffer = api.map(fd, 3 * 4096 + 100, true)
      assert.equal(buffer.byteLength, 3 * 4096 + 100)
      const bytes = new Uint8Array(buffer)
      assert.equal(bytes[4097], 4097 & 0xff)
      bytes.set([9, 8, 7], 5000)
      api.sync(buffer, 5000, 3, true)
      assert.deepEqual([...fs.readFileSync(file).subarray(5000, 5003)], [9, 8, 7])
      bytes[12000] = 0xee
      api.sync(buffer, 0, buffer.byteLength, false)
      api.unmap(buffer)
      assert.equal(fs.readFileSync(file)[12000], 0xee)
    })

    it('syncAsync resolves after writing, even if unmapped meanwhile', async () => {
      const { file, fd } = fixture(8192)
      const buffer = api.map(fd, 8192, true)
      new Uint8Array(buffer).fill(0x5a, 4000, 4200)
      const pending = api.syncAsync(buffer, 4000, 200)
      api.unmap(buffer) // native: munmap is deferred until the msync completes
      await pending
      assert.ok(fs.readFileSync(file).subarray(4000, 4200).every((b) => b === 0x5a))
      if (name === 'mmap' && fs.existsSync('/proc/self/maps')) {
        assert.ok(!fs.readFileSync('/proc/self/maps', 'utf8').includes(file), 'deferred munmap happened')
      }
      await assert.rejects(api.syncAsync(buffer, 0, 1), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
    })

    it('a syncAsync still under way never lands over a later sync of the same bytes', async () => {
      const { file, fd } = fixture(8192)
      const buffer = api.map(fd, 8192, true)
      const bytes = new Uint8Array(buffer)
      bytes[100] = 1
      const older = api.syncAsync(buffer, 0, 4096)
      bytes[100] = 2
      api.sync(buffer, 0, 4096, false)
      await older
      assert.equal(fs.readFileSync(file)[100], 2, 'the file holds the newest write, not the older flush')
      api.unmap(buffer)
    })

    it('refuses to map past EOF or zero bytes (EINVAL)', () => {
      const { fd } = fixture(100)
      for (const length of [101, 4096, 0]) {
        assert.throws(() => api.map(fd, length, false), { code: 'EINVAL', syscall: 'mmap', errno: -22 })
      }
    })

    it('maps read-only fds read-only, and refuses writable mappings of them (EACCES)', () => {
      const { fd } = fixture(5000, 'r')
      const buffer = api.map(fd, 5000, false)
      assert.equal(new Uint8Array(buffer)[4999], 4999 & 0xff)
      api.sync(buffer, 0, 5000, true)
      api.unmap(buffer)
      assert.throws(() => api.map(fd, 5000, true), { code: 'EACCES', syscall: 'mmap' })
    })

    it('unmap detaches every view; a second unmap is a no-op', () => {
      const { fd } = fixture(4096)
      const buffer = api.map(fd, 4096, true)
      const view = new Uint8Array(buffer, 10, 20)
      const words = new Int32Array(buffer)
      api.unmap(buffer)
      assert.equal(buffer.byteLength, 0)
      assert.equal(view.length, 0)
      assert.equal(view.byteLength, 0)
      assert.equal(view[0], undefined)
      assert.equal(words.length, 0)
      api.unmap(buffer)
      assert.throws(() => api.sync(buffer, 0, 0, true), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' })
      assert.throws(() => api.unmap(new ArrayBuffer(8)), { name: 'TypeError' })
    })

    it('advises, reports residency, validates ranges', () => {
      const { fd } = fixture(4 * 4096)
      const buffer = api.map(fd, 4 * 4096, false)
      for (const advice of ['normal', 'random', 'sequential', 'willneed'] as const) {
        api.advise(buffer, 100, 8000, advice)
      }
      new Uint8Array(buffer).reduce((a, b) => a + b, 0) // fault every page in
      assert.equal(api.residentFraction(buffer), 1)
      api.advise(buffer, 0, 4096, 'dontneed')
      const fraction = api.residentFraction(buffer)
      assert.ok(fraction >= 0 && fraction <= 1)
      assert.throws(() => api.advise(buffer, 0, 1, 'sometimes' as 'normal'), { name: 'TypeError' })
      assert.throws(() => api.sync(buffer, 4096, 3 * 4096 + 1, true), { name: 'RangeError' })
      assert.throws(() => api.sync(buffer, -1, 1, true), { name: 'RangeError' })
      assert.throws(() => api.sync(buffer, '0' as unknown as number, 1, true), { name: 'TypeError', message: /"offset"/ })
      api.unmap(buffer)
    })

    it('allocate grows the file to offset + length, and reports errno errors', () => {
      const { file, fd } = fixture(10)
      api.allocate(fd, 0, 1 << 20)
      assert.equal(fs.statSync(file).size, 1 << 20)
      api.allocate(fd, 100, 10) // inside the file: no change
      assert.equal(fs.statSync(file).size, 1 << 20)
      assert.ok(fs.readFileSync(file).subarray(10).every((b) => b === 0))
      if (name === 'mmap') assert.ok(fs.statSync(file).blocks * 512 >= 1 << 20, 'space really allocated')
      const readOnly = fixture(10, 'r')
      assert.throws(() => api.allocate(readOnly.fd, 0, 4096),
        { code: 'EBADF', syscall: 'posix_fallocate', message: /^EBADF: bad file descriptor, posix_fallocate$/ })
      assert.throws(() => api.allocate(fd, 0, 0), { code: 'EINVAL' })
    })

    it('allocate reports ENOSPC on a full filesystem', (t) => {
      const run = runOnTinyFilesystem(here('./enospc-child.js'), `${dir}/small`, '1m', [name])
      if (run === undefined) {
        t.skip('cannot mount a private tmpfs here')
        return
      }
      assert.equal(run.status, 0, run.stderr)
      const seen = JSON.parse(run.stdout) as Record<string, unknown>
      assert.deepEqual(Object.keys(seen), [name], 'the child ran the backend this case names, and only that one')
      assert.deepEqual(seen[name], { code: 'ENOSPC', syscall: 'posix_fallocate', sizeAfter: 0 })
    })

    it('errors carry code, errno and syscall like Node fs errors', () => {
      const closed = fs.openSync(os.tmpdir(), 'r')
      fs.closeSync(closed)
      assert.throws(() => api.map(closed, 10, false), (err: NodeJS.ErrnoException) => {
        assert.ok(err instanceof Error)
        assert.equal(err.code, 'EBADF')
        assert.equal(err.syscall, 'mmap')
        assert.equal(err.errno, -9)
        assert.match(err.message, /^EBADF: bad file descriptor, mmap$/)
        return true
      })
      assert.throws(() => api.map('3' as unknown as number, 1, false), { name: 'TypeError', message: /"fd"/ })
      assert.throws(() => api.map(3, 1, 1 as unknown as boolean), { name: 'TypeError', message: /"writable"/ })
    })

    it('exclusive lock on a second fd of the same file is refused', () => {
      const { file, fd } = fixture(10)
      const other = fs.openSync(file, 'r')
      fds.push(other)
      assert.equal(api.lock(fd, 'exclusive'), true)
      assert.equal(api.lock(fd, 'exclusive'), true, 're-locking through the same fd is fine')
      assert.equal(api.lock(other, 'exclusive'), false)
      assert.equal(api.lock(other, 'shared'), false)
      assert.equal(api.lock(fd, 'shared'), true, 'downgrade')
      assert.equal(api.lock(other, 'shared'), true)
      assert.equal(api.lock(other, 'exclusive'), false)
      assert.equal(api.lock(fd, 'unlock'), true)
      assert.equal(api.lock(other, 'exclusive'), true)
      assert.equal(api.lock(other, 'unlock'), true)
      assert.throws(() => api.lock(fd, 'both' as 'shared'), { name: 'TypeError', message: /"mode"/ })
    })

    if (name !== 'mmap') return

    it('flock excludes other processes', async () => {
      const { file, fd } = fixture(10)
      const child = spawn(process.execPath, [here('./lock-child.js'), file, 'hold'], { stdio: ['pipe', 'pipe', 'inherit'] })
      const [line] = (await once(child.stdout, 'data')) as [Buffer]
      assert.equal(line.toString().trim(), 'locked')
      assert.equal(api.lock(fd, 'exclusive'), false)
      assert.equal(api.lock(fd, 'shared'), false)
      child.stdin.end()
      await once(child, 'exit')
      assert.equal(api.lock(fd, 'exclusive'), true)
      const probe = spawnSync(process.execPath, [here('./lock-child.js'), file, 'probe'], { encoding: 'utf8' })
      assert.equal(probe.stdout.trim(), 'blocked')
      api.lock(fd, 'unlock')
    })

    it('two worker threads share one file through their own mappings (Atomics)', async () => {
      const { file, fd } = fixture(4096)
      fs.writeFileSync(file, new Uint8Array(4096))
      const iterations = 100_000
      const workers = [0, 1].map(() => new Worker(here('./atomic-worker.js'), { workerData: { file, iterations } }))
      // Listen for 'exit' up front: a worker's last message can be drained and
      // emitted synchronously right before its 'exit', with no tick between.
      const outcomes = await Promise.all(workers.map((worker) => Promise.all([once(worker, 'message'), once(worker, 'exit')])))
      for (const [[message], [code]] of outcomes) {
        assert.equal(message, 'done')
        assert.equal(code, 0)
      }
      const buffer = api.map(fd, 4096, false)
      assert.equal(Atomics.load(new Int32Array(buffer, 0, 1), 0), 2 * iterations)
      assert.equal(Atomics.load(new BigInt64Array(buffer, 8, 1), 0), BigInt(2 * iterations))
      api.unmap(buffer)
      assert.equal(fs.readFileSync(file).readInt32LE(0), 2 * iterations, 'MAP_SHARED writes are in the page cache')
    })

    it('buffers are never moved by transfer', () => {
      const { fd } = fixture(4096)
      const buffer = api.map(fd, 4096, true)
      let copy: ArrayBuffer | undefined
      try {
        copy = structuredClone(buffer, { transfer: [buffer] }) // Node 20 copies untransferables
      } catch (err) {
        assert.equal((err as Error).name, 'DataCloneError') // later Node versions refuse
      }
      assert.equal(buffer.byteLength, 4096, 'the mapping stays with its thread')
      if (copy !== undefined) {
        new Uint8Array(copy)[0] = 0xaa
        assert.equal(new Uint8Array(buffer)[0], 0)
      }
      api.unmap(buffer)
    })

    it('finalizers unmap forgotten mappings and never a reused address', { skip: !fs.existsSync('/proc/self/maps') }, () => {
      const { file } = fixture(1 << 16)
      const run = spawnSync(process.execPath, ['--expose-gc', here('./finalizer-child.js'), file], { encoding: 'utf8' })
      assert.equal(run.status, 0, `child failed (signal ${run.signal}): ${run.stderr}`)
      const seen = JSON.parse(run.stdout) as Record<string, unknown>
      assert.equal(seen['mappedBefore'], 64)
      assert.equal(seen['afterGc'], 0)
      assert.equal(seen['oldCollected'], true, 'the unmapped buffer was collected, so its finalizer ran')
      assert.equal(seen['stillMapped'], 1)
      assert.equal(seen['firstByte'], 7)
      assert.equal(seen['oldViewLength'], 0)
    })
  })
}
