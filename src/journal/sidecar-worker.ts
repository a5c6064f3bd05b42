/**
 * The worker thread that writes sealed journals' sidecars (hint and bloom),
 * so the scan of a full journal (tens to hundreds of milliseconds at 64 MiB)
 * never runs on the thread serving requests. Started by SidecarBuilder.
 */
import os from 'node:os'
import path from 'node:path'
import { parentPort } from 'node:worker_threads'
import { mappingFor } from '../native.js'
import type { CorruptionReport } from './corruption.js'
import { journalFileName } from './format.js'
import { Journal } from './journal.js'
import type { SidecarJob, SidecarResult } from './sidecar-builder.js'
import { writeSidecars } from './sidecars.js'

/**
 * A hole may be a writer elsewhere that claimed space but has not published
 * yet: wait for holes to fill (up to HOLE_RETRIES × HOLE_RETRY_MS) rather
 * than leave a record out of the hint.
 */
const HOLE_RETRIES = 20
const HOLE_RETRY_MS = 50
const sleeper = new Int32Array(new SharedArrayBuffer(4))

function build(job: SidecarJob): SidecarResult {
  const reports: CorruptionReport[] = []
  const journal = Journal.open(mappingFor(job.backend), path.join(job.dir, journalFileName(job.id)), false, (r) => reports.push(r))
  try {
    for (let tries = 0; ; tries++) {
      const found: CorruptionReport[] = []
      // CRCs checked: a journal recovered at open may hold a damaged record, and nothing damaged goes into a hint.
      const { view, result } = journal.scan(job.recovery, (r) => found.push(r))
      if (tries < HOLE_RETRIES && found.some((r) => r.reason === 'hole')) {
        Atomics.wait(sleeper, 0, 0, HOLE_RETRY_MS)
        continue
      }
      reports.push(...found)
      if (!result.rejected) writeSidecars(job.dir, job.id, view, result.offsets)
      return { id: job.id, ok: !result.rejected, reports }
    }
  } finally {
    journal.close()
  }
}

// Background work: on Linux the nice value is per thread, and this lowers only this one's, so a
// scan of a 64 MiB journal yields the CPU to the thread serving requests (on a 2-core machine it
// otherwise stalls that thread's event loop for tens of milliseconds).
try {
  os.setPriority(10)
} catch {
  // Not allowed here (or not Linux): the builds run at the normal priority.
}

parentPort?.on('message', (job: SidecarJob) => {
  let reply: SidecarResult
  try {
    reply = build(job)
  } catch (err) {
    // Sidecars only speed up a restart: a failure here (a full disk, say) leaves the journal to be scanned at open.
    reply = { id: job.id, ok: false, reports: [], error: String(err) }
  }
  parentPort!.postMessage(reply)
})
