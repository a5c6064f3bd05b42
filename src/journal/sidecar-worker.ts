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
import { processIsAlive } from './temp-files.js'
import { WriterLock } from './writer-lock.js'

/**
 * Whether the writer of an unpublished claim may still publish it: never
 * when no JournalDir holds the directory (or the only one is the pread
 * backend's, which had nothing in flight when it sealed); else when the pid
 * recorded with the claim is alive, this process's own, or not recorded yet.
 */
function claimAliveFor(job: SidecarJob): (pid: number) => boolean {
  return (pid) => !job.exclusive && WriterLock.held(job.dir) && (pid === 0 || pid === process.pid || processIsAlive(pid))
}

function build(job: SidecarJob): SidecarResult {
  const reports: CorruptionReport[] = []
  const journal = Journal.open(mappingFor(job.backend), path.join(job.dir, journalFileName(job.id)), false, (r) => reports.push(r))
  try {
    // CRCs checked: a journal recovered at open may hold a damaged record, and nothing damaged goes into a hint.
    const { view, result } = journal.scan(job.recovery, (r) => reports.push(r), { claimAlive: claimAliveFor(job) })
    // A claim below the end marker that its writer may still publish: a hint now could leave its
    // record out for good. The builder asks again; the record's state decides, never a deadline.
    if (result.unpublished > 0) return { id: job.id, ok: false, reports: [], unpublished: result.unpublished }
    // A hint serves every recovery mode: none when what this scan kept depends on the mode.
    const ok = !result.rejected && !result.modeDependent
    if (ok) writeSidecars(job.dir, job.id, view, result.offsets)
    return { id: job.id, ok, reports, unpublished: 0 }
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
    reply = { id: job.id, ok: false, reports: [], unpublished: 0, error: String(err) }
  }
  parentPort!.postMessage(reply)
})
