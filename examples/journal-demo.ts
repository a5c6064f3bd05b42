/**
 * `node dist/examples/journal-demo.js` (after `npm run build:ts`): a tour of
 * the journal engine on a cache directory inside the project (.cache/,
 * gitignored). Run it twice: the second run recovers what the first one
 * wrote, after a restart.
 */
import path from 'node:path'
import { backend, JournalDir, type CorruptionReport } from '../src/index.js'

const dir = path.resolve(process.argv[2] ?? '.cache/journal-demo')
const reports: CorruptionReport[] = []
const journals = JournalDir.open(dir, { journalBytes: 1024 * 1024, onCorruption: (r) => reports.push(r) })

// Recovery: replay every journal; the newest record of a key wins.
let recovered = 0
let runs = 0
let started = process.hrtime.bigint()
journals.replay((entry) => {
  recovered++
  if (Buffer.from(entry.key).toString() === 'demo:runs') runs = Number(Buffer.from(journals.read(entry)!.value).toString())
})
const replayMs = Number(process.hrtime.bigint() - started) / 1e6
console.log(`spillway journal demo: ${dir} (backend: ${backend()})`)
console.log(runs === 0
  ? 'first run: the directory was empty.'
  : `recovered ${recovered.toLocaleString()} records from ${runs} earlier run(s) in ${replayMs.toFixed(1)} ms.`)
if (reports.length > 0) console.log('recovery reported:', reports)

const run = runs + 1
const count = 50_000
started = process.hrtime.bigint()
let last = journals.append('demo:runs', String(run))
for (let i = 0; i < count; i++) last = journals.append(`run-${run}:item-${i}`, `value ${i} of run ${run}`)
const appendMs = Number(process.hrtime.bigint() - started) / 1e6
journals.sync()
console.log(`run ${run}: appended ${count.toLocaleString()} records in ${appendMs.toFixed(1)} ms, synced to disk.`)
console.log(`last record: journal ${last.journalId}, offset ${last.offset}:`,
  Buffer.from(journals.read(last)!.value).toString())
console.log(`journals on disk: ${journals.journalIds().length} (sealed ones have .hint and .bloom sidecars)`)
journals.close()
console.log('run `node dist/examples/journal-demo.js` again: the next run recovers these records after the restart.')
