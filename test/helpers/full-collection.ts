import { setImmediate as tick } from 'node:timers/promises'

/**
 * Full collections, with turns of the event loop between: V8 frees array
 * buffers' memory after the collection. For child processes run with
 * --expose-gc; throws, naming `who`, in one run without it.
 */
export async function fullCollection(who: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error(`${who}: run with --expose-gc`)
  for (let i = 0; i < 4; i++) {
    gc()
    await tick()
  }
}
