/**
 * Holds the maintenance lease of the directory in argv[2] (FORMAT.md,
 * `MAINTENANCE`) as a process in the middle of a compaction does, until
 * its parent says `{ release }`.
 */
import { MaintenanceLease } from '../../src/store/maintenance-lease.js'

const lease = MaintenanceLease.open(process.argv[2]!)
let release!: () => void
const released = new Promise<void>((resolve) => { release = resolve })
process.on('message', (message: { release?: true }) => {
  if (message.release === true) release()
})
const ran = await lease.run(async () => {
  process.send!({ holding: true })
  await released
  return true
}, false)
if (!ran) process.send!({ holding: false })
lease.close()
process.exit(0)
