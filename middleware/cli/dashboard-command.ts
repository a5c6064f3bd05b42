/**
 * `spillway dashboard DIR`: the live dashboard of a store directory, served
 * by a process of its own that opens the directory beside the processes
 * using it (store-directory.ts, with no heap tier: it reads nothing), until
 * SIGINT or SIGTERM.
 */
import http, { type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Command } from 'commander'
import type { Store } from '../../src/index.js'
import { createDashboard, type Dashboard } from '../dashboard/dashboard.js'
import { USAGE_ERROR } from './exit-codes.js'
import { openStoreDirectory, storeDirectoryArgument } from './store-directory.js'
import { parseDuration, parsePort } from './units.js'

interface DashboardFlags {
  port: number
  host: string
  interval?: number
}

/** Said on the page: what a watching process cannot see. */
const NOTE = 'The heap tier and the counts of hits and misses belong to each process: this one reads nothing, so they stay at 0. ' +
  'Disk bytes, entries and journals are the directory\'s. Mount cache.dashboard() in an app to see its own.'

export function addDashboardCommand(program: Command): Command {
  return program.command('dashboard')
    .description('serve a live dashboard of a cache directory (sizes, entries, journals, compactions, evictions) while other processes use it')
    .argument('<dir>', 'the cache directory')
    .option('--port <n>', 'port to listen on (0: any free one)', parsePort, 9090)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--interval <duration>', 'time between two readings of stats(), e.g. 500ms (default 1s)', parseDuration)
    .action(runDashboard)
}

async function runDashboard(dirArgument: string, flags: DashboardFlags, command: Command): Promise<void> {
  const directory = storeDirectoryArgument(command, dirArgument)
  const dir = directory.dir
  let dashboard: Dashboard
  const store: Store = await openStoreDirectory('dashboard', directory, { maxHeapBytes: 0 })
  try {
    dashboard = createDashboard({ label: `directory ${dir}`, note: NOTE, store: () => store.stats() }, { intervalMs: flags.interval })
  } catch (err) {
    await store.close()
    command.error(`error: --interval: ${(err as Error).message}`, { exitCode: USAGE_ERROR })
  }
  const server = http.createServer(dashboard)
  await new Promise<void>((resolve) => {
    server.once('error', async (err) => {
      console.error(`spillway dashboard: cannot listen on ${flags.host}:${flags.port}: ${err.message}`)
      await store.close().catch(() => {})
      process.exit(1)
    })
    server.listen(flags.port, flags.host, resolve)
  })
  console.log(`spillway dashboard on ${urlOf(server)}, watching ${dir}`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) process.exit(1)
    stopping = true
    console.error(`spillway dashboard: ${signal}, stopping`)
    // The event streams never end by themselves: end them, or close() would wait for them.
    dashboard.close()
    server.closeIdleConnections()
    server.close(() => {
      store.close().then(() => process.exit(0), (err: Error) => {
        console.error(`spillway dashboard: closing the store failed: ${err.message}`)
        process.exit(1)
      })
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}

function urlOf(server: Server): string {
  const { address, family, port } = server.address() as AddressInfo
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}/`
}
