/** A bench/journal writer thread: opens the directory, waits for "go", appends, says when done. */
import { parentPort, workerData } from 'node:worker_threads'
import { JournalDir } from '../../src/journal/journal-dir.js'

const { dir, writer, count } = workerData as { dir: string; writer: number; count: number }
const value = Buffer.alloc(100, 0x61)
const keys = Array.from({ length: count }, (_, i) => `w${writer}-${String(i).padStart(13, '0')}`)
const jd = JournalDir.open(dir)
parentPort!.once('message', () => {
  for (let i = 0; i < count; i++) jd.append(keys[i], value)
  jd.close()
  parentPort!.postMessage('done')
})
parentPort!.postMessage('ready')
