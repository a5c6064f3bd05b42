import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** What the tee saw of a response: the status and headers its bytes went out with, and the bytes. */
export interface TeedResponse {
  outcome: 'finished' | 'aborted'
  status: number
  headers: OutgoingHttpHeaders
  /** The body, or undefined when it passed maxBytes (then nothing is kept). */
  body: Buffer | undefined
}

/**
 * Copies a response's body as the app writes it, while every chunk goes on to
 * the client unchanged and res.write's return value (backpressure) is the
 * app's to see. Status and headers are taken at the first write through this
 * layer, so they describe the bytes this layer sees: with compression()
 * mounted after the cache, compressed bytes and their Content-Encoding; mounted
 * before it, the identity bytes without the Content-Encoding compression adds
 * later. Past `maxBytes` the copy is dropped and the response goes on.
 */
export function teeResponse(res: ServerResponse, maxBytes: number): Promise<TeedResponse> {
  const chunks: Buffer[] = []
  let bytes = 0
  let overflow = false
  let status = 0
  let headers: OutgoingHttpHeaders | undefined
  let headArgs: OutgoingHttpHeaders = {}

  const snapshot = () => {
    if (headers !== undefined) return
    status = res.statusCode
    headers = { ...res.getHeaders(), ...headArgs }
  }
  const collect = (chunk: unknown, encoding: unknown) => {
    snapshot()
    if (overflow || chunk === undefined || chunk === null || typeof chunk === 'function') return
    const buf = typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : Buffer.from(chunk as Uint8Array)
    bytes += buf.byteLength
    if (bytes > maxBytes) {
      overflow = true
      chunks.length = 0
      return
    }
    chunks.push(buf)
  }

  const { write, end, writeHead } = res
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    // Headers passed to writeHead itself never show in getHeaders(): keep them, as an object or a flat array.
    const last = args[args.length - 1]
    if (Array.isArray(last)) headArgs = { ...headArgs, ...fromFlatArray(last) }
    else if (last !== null && typeof last === 'object') headArgs = { ...headArgs, ...lowerCased(last as OutgoingHttpHeaders) }
    if (typeof args[0] === 'number') res.statusCode = args[0]
    // Before delegating: a layer below (compression mounted before the cache) adds its
    // Content-Encoding as the head goes out, and that does not describe the bytes this layer sees.
    snapshot()
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['writeHead']
  res.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0])
    return (write as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest])
  } as ServerResponse['write']
  res.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    collect(chunk, rest[0])
    return (end as (...a: unknown[]) => ServerResponse).apply(this, [chunk, ...rest])
  } as ServerResponse['end']

  return new Promise((resolve) => {
    const settle = (outcome: TeedResponse['outcome']) => {
      snapshot()
      resolve({ outcome, status, headers: headers!, body: overflow ? undefined : Buffer.concat(chunks, bytes) })
    }
    res.once('finish', () => settle('finished'))
    res.once('close', () => settle(res.writableFinished ? 'finished' : 'aborted'))
  })
}

function fromFlatArray(flat: unknown[]): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i]).toLowerCase()] = flat[i + 1] as string
  return out
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value
  return out
}
