/**
 * A worker thread for the lease-table tests: waits at a barrier shared with
 * its siblings, so that all of them create and map the lease table of
 * workerData.dir at once, then takes one name and reports the claim. It
 * keeps its table mapped until the parent terminates it.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { mappingFor } from '../../src/native.js'
import { LeaseTable } from '../../src/store/lease-table.js'

const { dir, barrier, parties } = workerData as { dir: string; barrier: SharedArrayBuffer; parties: number }
const arrived = new Int32Array(barrier)
if (Atomics.add(arrived, 0, 1) + 1 === parties) Atomics.notify(arrived, 0)
else while (Atomics.load(arrived, 0) < parties) Atomics.wait(arrived, 0, Atomics.load(arrived, 0))
const leases = LeaseTable.open(mappingFor('mmap'), dir)
parentPort!.postMessage({ shared: leases.shared, claim: leases.take('the-name', 60_000) })
