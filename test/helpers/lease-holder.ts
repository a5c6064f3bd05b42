/**
 * A child process for the lease-table tests: maps the lease table (and the
 * read marks) of the directory in argv[2], and does what the parent's
 * messages say, answering each. It stays alive until killed or told to exit.
 */
import { mappingFor } from '../../src/native.js'
import { LeaseTable } from '../../src/store/lease-table.js'
import { ReadMarks } from '../../src/store/read-marks.js'

const dir = process.argv[2]!
const leases = LeaseTable.open(mappingFor('mmap'), dir)
const marks = ReadMarks.open(mappingFor('mmap'), dir)

type Command = { take?: string; ms?: number; release?: string; invalidate?: string; mark?: [number, number]; exit?: true }
process.on('message', (command: Command) => {
  if (command.take !== undefined) process.send!({ claim: leases.take(command.take, command.ms ?? 60_000) })
  if (command.release !== undefined) process.send!({ released: leases.release(command.release) })
  if (command.invalidate !== undefined) {
    leases.noteInvalidation(command.invalidate)
    process.send!({ invalidated: leases.invalidations(command.invalidate) })
  }
  if (command.mark !== undefined) {
    marks.mark(...command.mark)
    process.send!({ marked: true })
  }
  if (command.exit === true) process.exit(0)
})
process.send!({ ready: leases.shared && marks.shared })
