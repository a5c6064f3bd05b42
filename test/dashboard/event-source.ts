/**
 * A client of the dashboard's event stream for the tests that need no
 * browser: it parses the `snapshot` events as they come, and tells when the
 * server ends the stream.
 */
import http, { type IncomingMessage } from 'node:http'
import type { DashboardSnapshot } from '../../middleware/dashboard/snapshot.js'

export interface EventsClient {
  response: IncomingMessage
  /** The next sample not taken yet (one that came already, or the next to come). */
  next(): Promise<DashboardSnapshot>
  /** Takes samples until one satisfies `test`; rejects if the stream ends first. */
  until(test: (sample: DashboardSnapshot) => boolean): Promise<DashboardSnapshot>
  /** Resolves when the server ends the response cleanly ('end'), rejects when it is cut off. */
  ended: Promise<void>
  /** Closes the connection from the client's side, as a closed tab does. */
  close(): void
}

export async function openEvents(url: string): Promise<EventsClient> {
  const req = http.get(url, { headers: { accept: 'text/event-stream' } })
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve)
    req.once('error', reject)
  })
  const queue: DashboardSnapshot[] = []
  const waiters: Array<{ resolve: (s: DashboardSnapshot) => void; reject: (err: Error) => void }> = []
  let buffered = ''
  let over: Error | undefined
  response.setEncoding('utf8')
  response.on('data', (chunk: string) => {
    buffered += chunk
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end)
      buffered = buffered.slice(end + 2)
      const lines = block.split('\n')
      if (!lines.includes('event: snapshot')) continue
      const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n')
      const sample = JSON.parse(data) as DashboardSnapshot
      const waiter = waiters.shift()
      if (waiter !== undefined) waiter.resolve(sample)
      else queue.push(sample)
    }
  })
  const ended = new Promise<void>((resolve, reject) => {
    response.once('end', () => resolve())
    response.once('aborted', () => reject(new Error('the event stream was cut off')))
    req.once('error', reject)
  })
  ended.catch(() => {})
  const finish = (err: Error) => {
    over = err
    for (const waiter of waiters.splice(0)) waiter.reject(err)
  }
  ended.then(() => finish(new Error('the event stream ended')), finish)
  const next = () => {
    const ready = queue.shift()
    if (ready !== undefined) return Promise.resolve(ready)
    if (over !== undefined) return Promise.reject(over)
    return new Promise<DashboardSnapshot>((resolve, reject) => waiters.push({ resolve, reject }))
  }
  return {
    response,
    next,
    async until(test) {
      for (;;) {
        const sample = await next()
        if (test(sample)) return sample
      }
    },
    ended,
    close: () => req.destroy(),
  }
}

/** A value as JSON carries it (Infinity becomes null, undefined fields go): what the page receives. */
export function asSent<T>(value: T): unknown {
  return JSON.parse(JSON.stringify(value))
}
