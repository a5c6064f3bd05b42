/**
 * Run with --expose-gc by mapping.test.ts. Checks that finalizers unmap
 * forgotten mappings, and that a finalizer running after an explicit unmap
 * never touches a newer mapping that reused the same address (a double
 * munmap would make the last read below crash with SIGSEGV).
 * Prints one JSON line of observations.
 */
import * as fs from 'node:fs'
import { setImmediate as tick } from 'node:timers/promises'
import { mappingFor } from '../../src/native.js'

async function run(file: string): Promise<void> {
  const exposed = (globalThis as { gc?: () => void }).gc
  if (exposed === undefined) throw new Error('finalizer-child: run with --expose-gc')
  const gc = exposed
  const api = mappingFor('mmap')
  const fd = fs.openSync(file, 'r+')
  const size = fs.fstatSync(fd).size

  function fileLines(): string[] {
    return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter((line) => line.endsWith(file))
  }
  const liveMappings = (): number => fileLines().length

  async function collect(): Promise<void> {
    // Node runs external-buffer finalizers from an immediate after the GC.
    for (let i = 0; i < 3; i++) {
      gc()
      await tick()
    }
  }

  let forgotten: ArrayBuffer[] | undefined = []
  for (let i = 0; i < 64; i++) forgotten.push(api.map(fd, size, true))
  const mappedBefore = liveMappings()
  forgotten = undefined
  await collect()
  const afterGc = liveMappings()

  let old: ArrayBuffer | undefined = api.map(fd, size, true)
  const oldAddressProbe = new Uint8Array(old)
  const oldAddress = fileLines()[0]?.split('-')[0]
  api.unmap(old)
  const reused = api.map(fd, size, true)
  const sameAddress = fileLines()[0]?.split('-')[0] === oldAddress
  old = undefined
  await collect()
  const view = new Uint8Array(reused)
  view[0] = 7
  const stillMapped = liveMappings()
  process.stdout.write(JSON.stringify({
    mappedBefore, afterGc, stillMapped, sameAddress, firstByte: view[0], oldViewLength: oldAddressProbe.length,
  }) + '\n')
}

// `node --test dist/test/` runs every .js under a directory named "test";
// started that way, without a file argument, there is nothing to do.
const [target] = process.argv.slice(2)
if (target !== undefined) await run(target)
