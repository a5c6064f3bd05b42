/**
 * A child process for the cross-process getOrSet tests: opens a cache on
 * the directory in argv[2] and, told { go: key, calls, fail? }, makes
 * `calls` concurrent getOrSet calls for the key. Its loader reports
 * { loading } and waits for { release, value? } (or { fail }) from the parent. It
 * reports each wait ({ waiting: place }), each background refresh
 * ({ refresh }, { refreshed }) and the values it got ({ done }). Its clock
 * moves when told ({ clock: offset }).
 */
import { openCache } from '../../src/index.js'

let offset = 0
const cache = await openCache<string>({ dir: process.argv[2]!, serializer: 'json', durability: 'none', backend: 'mmap', now: () => 1_700_000_000_000 + offset })
let gate: { release(value: string): void; fail(message: string): void } | undefined

cache.events.on('waiting', (key: string, place: string) => process.send!({ waiting: place, key }))
cache.events.on('refresh', (key: string) => process.send!({ refresh: key }))
cache.events.on('refreshed', (key: string, error?: Error) => process.send!({ refreshed: key, error: error?.message }))

async function loader(): Promise<string> {
  process.send!({ loading: process.pid })
  return new Promise<string>((resolve, reject) => {
    gate = { release: resolve, fail: (message) => reject(new Error(message)) }
  })
}

type Command = { go?: string; calls?: number; ttl?: number; swr?: number; release?: true; value?: string; fail?: string; clock?: number; exit?: true }
process.on('message', async (command: Command) => {
  if (command.clock !== undefined) {
    offset = command.clock
    process.send!({ clock: offset })
  }
  if (command.release === true) gate!.release(command.value ?? `loaded by ${process.pid}`)
  if (command.fail !== undefined) gate!.fail(command.fail)
  if (command.exit === true) {
    await cache.close()
    process.exit(0)
  }
  if (command.go !== undefined) {
    const key = command.go
    const settled = await Promise.allSettled(Array.from({ length: command.calls ?? 1 }, () => cache.getOrSet(key, loader, { ttl: command.ttl ?? 600_000, staleWhileRevalidate: command.swr })))
    process.send!({ done: settled.map((s) => (s.status === 'fulfilled' ? s.value : `rejected: ${(s.reason as Error).message}`)) })
  }
})
process.send!({ ready: cache.store.leases.shared })
