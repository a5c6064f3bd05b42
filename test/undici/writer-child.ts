/**
 * A process that writes responses for one URL through its own
 * SpillwayCacheStore, for test/undici/cross-process.test.ts:
 *   node writer-child.js DIR PATH WRITER COUNT
 * writes COUNT responses whose body is WRITER repeated and whose x-writer header
 * names WRITER, then closes its store and exits 0.
 */
import { once } from 'node:events'
import { SpillwayCacheStore } from '../../middleware/undici-store.js'
import { keyOf, SMALL, valueOf } from './support-values.js'

const [dir, path, writer, count] = process.argv.slice(2)
const store = new SpillwayCacheStore({ dir, ...SMALL, onError: (err, op) => { console.error(op, err); process.exitCode = 1 } })
await store.ready
for (let i = 0; i < Number(count); i++) {
  const stream = store.createWriteStream(keyOf(path), valueOf(Date.now(), { headers: { 'x-writer': writer, 'x-round': String(i) } }))!
  // Several chunks each, so a mix of two writers' bodies would show.
  for (let c = 0; c < 8; c++) stream.write(writer.repeat(512))
  stream.end()
  await once(stream, 'finish')
}
await store.close()
