import type { CorruptionReport, RecoveryMode } from '../../src/journal/corruption.js'
import { JournalDir } from '../../src/journal/journal-dir.js'
import type { BackendName } from '../../src/native.js'
import { text } from './records.js'

/** Opens `dir` under `recovery`, and gives every key a replay yields, oldest first, with what the open reported. */
export function replayKeys(dir: string, journalBytes: number, backend: BackendName, recovery: RecoveryMode = 'point-in-time'): { keys: string[]; reports: CorruptionReport[] } {
  const reports: CorruptionReport[] = []
  const jd = JournalDir.open(dir, { journalBytes, backend, recovery, onCorruption: (r) => reports.push(r) })
  const keys: string[] = []
  jd.replay((e) => keys.push(text(e.key)))
  jd.close()
  return { keys, reports }
}
