/**
 * `node dist/examples/store-demo.js` (after `npm run build:ts`): the store
 * on a cache directory inside the project (.cache/, gitignored). Run it
 * twice: the second run is served from disk after the restart, and says so.
 */
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { backend, openStore } from '../src/index.js'

const dir = path.resolve(process.argv[2] ?? '.cache/store-demo')
const started = process.hrtime.bigint()
const store = await openStore({ dir, journalBytes: 4 * 1024 * 1024, maxDiskBytes: 64 * 1024 * 1024 })
const openMs = Number(process.hrtime.bigint() - started) / 1e6
const runs = Number((await store.get('demo:runs'))?.toString() ?? 0)
console.log(`spillway store demo: ${dir} (backend: ${backend()}), opened in ${openMs.toFixed(1)} ms`)

/** A deliberately slow "origin": what the cache stands in front of. */
async function slowOrigin(id: number): Promise<string> {
  await sleep(20)
  return JSON.stringify({ id, name: `item ${id}`, computedAt: new Date().toISOString() })
}

async function cached(id: number): Promise<{ value: string; from: 'cache' | 'origin' }> {
  const hit = await store.get(`item:${id}`)
  if (hit !== undefined) return { value: hit.toString(), from: 'cache' }
  const value = await slowOrigin(id)
  await store.set(`item:${id}`, value, { ttl: 10 * 60_000, tags: [`group:${id % 3}`] })
  return { value, from: 'origin' }
}

const t0 = process.hrtime.bigint()
const results = await Promise.all(Array.from({ length: 50 }, (_, id) => cached(id)))
const ms = Number(process.hrtime.bigint() - t0) / 1e6
const fromCache = results.filter((r) => r.from === 'cache').length
console.log(runs === 0
  ? `first run: ${results.length - fromCache} items fetched from the slow origin in ${ms.toFixed(0)} ms and cached.`
  : `run ${runs + 1}: ${fromCache} of ${results.length} items served from the cache that survived the restart, in ${ms.toFixed(1)} ms.`)
console.log('item:7 =', results[7].value)
await store.set('demo:runs', String(runs + 1))
if (runs > 0 && runs % 3 === 0) console.log(`purged ${await store.purgeTag('group:1')} items tagged group:1; they come from the origin next run.`)
const { heap, disk, journals } = store.stats()
console.log(`heap tier: ${heap.entries} entries, ${heap.bytes} B; disk tier: ${disk.entries} entries in ${journals.total} journal(s); keydir ${disk.keydirBytes} B`)
await store.close()
console.log('run `node dist/examples/store-demo.js` again: the next run is served from disk after the restart.')
