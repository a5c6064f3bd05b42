import type { ServerResponse } from 'node:http'
import type { Sampler } from './sampler.js'

/** Milliseconds an EventSource waits before it reconnects (the HTML standard's `retry:` field). */
const RETRY_MS = 2000

export const STREAM_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  // Neither a browser nor a cache in front (spillway's own included: RFC 9111 §5.2.2.5) keeps a live stream.
  'cache-control': 'no-store',
  // nginx buffers proxied responses unless told not to; events would then arrive in bursts.
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
  // A stream holds its connection for as long as it lasts; once it ends, the connection goes too, rather than idle on.
  'connection': 'close',
}

/**
 * Answers a GET with a text/event-stream (the HTML standard's server-sent events)
 * of the sampler's samples, one `snapshot` event each, until the client
 * goes. Its subscription ends with the connection, so a closed tab leaves no
 * listener and, when it was the last, no timer. `onEnd` is told once.
 */
export function streamSamples(res: ServerResponse, sampler: Sampler, onEnd: () => void): void {
  res.writeHead(200, STREAM_HEADERS)
  res.write(`retry: ${RETRY_MS}\n\n`)
  const unsubscribe = sampler.subscribe((sample) => {
    // A client that does not read gets no queue of samples: each one replaces the last, so skipping loses nothing.
    if (!res.writableNeedDrain) res.write(sample)
  })
  res.once('close', () => {
    unsubscribe()
    onEnd()
  })
}

/** One sample as an event: `data:` lines hold no newline, and JSON.stringify writes none. */
export function sampleEvent(json: string): string {
  return `event: snapshot\ndata: ${json}\n\n`
}
