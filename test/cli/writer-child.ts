/**
 * A writer for the command-line tests: opens the store in argv[2] (journal
 * size argv[3], no disk budget, maintenance of its own unless argv[5] is
 * 'false') and overwrites argv[4] keys in turn, one
 * write per turn of the event loop, telling its parent how many have
 * resolved. On `{ stop }` it finishes the write under way, closes the store
 * and sends the last sequence number of each key.
 */
import { setImmediate as nextTurn } from 'node:timers/promises'
import { openStore } from '../../src/index.js'
import { valueFor } from '../helpers/records.js'

const [dir, journalBytes, keyCount, maintenance] = process.argv.slice(2)
const store = await openStore({
  dir: dir!, journalBytes: Number(journalBytes), maxDiskBytes: Infinity,
  autoCompact: maintenance === 'true', maintenance: maintenance === 'true',
})
const keys = Number(keyCount)
const last = new Map<string, number>()
let stopping = false
process.on('message', (message: { stop?: true }) => {
  if (message.stop === true) stopping = true
})
process.send!({ ready: true })
let seq = 0
while (!stopping) {
  const key = `w-${seq % keys}`
  await store.set(key, valueFor(key, seq, 200), { tags: [seq % 2 === 0 ? 'even' : 'odd'] })
  last.set(key, seq)
  seq++
  if (seq % 25 === 0) process.send!({ acked: seq })
  await nextTurn()
}
await store.close()
process.send!({ stopped: [...last] }, () => process.exit(0))
