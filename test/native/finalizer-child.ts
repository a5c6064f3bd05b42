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
  const addresses = (): string[] => fileLines().map((line) => line.split('-')[0]!)

  /**
   * Collects garbage and lets the finalizers that follow it run (Node runs
   * external-buffer finalizers from an immediate after the GC) until `done()`
   * holds: the effect decides, not a number of turns. Gives up after 1,000
   * rounds, so a finalizer that never runs fails the test instead of hanging it.
   */
  async function collectUntil(done: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !done(); i++) {
      gc()
      await tick()
    }
  }

  let forgotten: ArrayBuffer[] | undefined = []
  for (let i = 0; i < 64; i++) forgotten.push(api.map(fd, size, true))
  const mappedBefore = liveMappings()
  forgotten = undefined
  await collectUntil(() => liveMappings() === 0)
  const afterGc = liveMappings()

  let old: ArrayBuffer | undefined = api.map(fd, size, true)
  const oldAddress = addresses()[0]
  let probe: Uint8Array | undefined = new Uint8Array(old)
  api.unmap(old)
  const oldViewLength = probe.length
  probe = undefined
  const reused = api.map(fd, size, true)
  const reusedAddress = addresses()[0]
  const sameAddress = reusedAddress === oldAddress
  // Forgotten together with `old`: its finalizer, queued in the same collection, has a visible effect.
  let sentinel: ArrayBuffer | undefined = api.map(fd, size, false)
  const sentinelAddress = addresses().find((address) => address !== reusedAddress)
  let oldCollected = false
  const registry = new FinalizationRegistry((which: string) => { if (which === 'old') oldCollected = true })
  registry.register(old, 'old')
  registry.register(sentinel, 'sentinel')
  old = sentinel = undefined
  await collectUntil(() => oldCollected && !addresses().includes(sentinelAddress!))
  await tick() // the rest of the finalizers queued with the sentinel's
  const view = new Uint8Array(reused)
  view[0] = 7
  const stillMapped = liveMappings()
  process.stdout.write(JSON.stringify({
    mappedBefore, afterGc, oldCollected, stillMapped, sameAddress, firstByte: view[0], oldViewLength,
  }) + '\n')
}

// `node --test dist/test/` runs every .js under a directory named "test";
// started that way, without a file argument, there is nothing to do.
const [target] = process.argv.slice(2)
if (target !== undefined) await run(target)
