import type { OutgoingHttpHeaders, ServerResponse } from 'node:http'

/** What the tee saw of a response: the status and headers its bytes went out with, and the bytes. */
export interface TeedResponse {
  outcome: 'finished' | 'aborted'
  status: number
  headers: OutgoingHttpHeaders
  /** The body, or undefined when it was not kept (then `notKept` says why). */
  body: Buffer | undefined
  notKept?: string
}

export interface TeeHooks {
  /**
   * Called once, when the head is final (after every writeHead hook below
   * this layer ran): whether the response may still be stored. False stops
   * the copy there.
   */
  onHead?(status: number, headers: OutgoingHttpHeaders): boolean
  /** Called once when the copy is given up before the end (ruled out at the head, or past maxBytes). */
  onGiveUp?(reason: string): void
  /** Bytes held by open tees: what this one keeps is added, and taken back when it settles or gives up. */
  gauge?: { bytes: number }
}

/**
 * Fields that describe the bytes themselves: taken as this layer sees the
 * bytes, not as a lower layer re-encodes them. Vary is among them: a layer
 * below that adds `Vary: Accept-Encoding` re-encodes hits too, as it wraps them.
 */
const REPRESENTATION = ['content-encoding', 'content-length', 'content-range', 'transfer-encoding', 'vary']

/**
 * Copies a response's body as the app writes it, while every chunk goes on to
 * the client unchanged and res.write's return value (backpressure) is the
 * app's to see.
 *
 * Headers are those finally sent: read after the head went out, so a hook
 * that runs at writeHead in a layer mounted before the cache (express-session's
 * Set-Cookie, via on-headers) is seen. The fields that describe the bytes
 * are the exception: they are taken as the bytes pass this layer. With
 * compression() mounted after the cache, these are compressed bytes and their
 * Content-Encoding; mounted before it, identity bytes, without the
 * Content-Encoding compression adds below.
 *
 * The copy stops the moment storing is ruled out (`onHead`) or the body passes
 * `maxBytes`, and a body shorter or longer than its Content-Length is not kept
 * (RFC 9112 §6.3).
 */
export function teeResponse(res: ServerResponse, maxBytes: number, hooks: TeeHooks = {}): Promise<TeedResponse> {
  const gauge = hooks.gauge ?? { bytes: 0 }
  const chunks: Buffer[] = []
  let bytes = 0
  let kept = 0
  let notKept: string | undefined
  let status = 0
  let representation: OutgoingHttpHeaders | undefined
  let headers: OutgoingHttpHeaders | undefined
  let headArgs: OutgoingHttpHeaders = {}

  const giveUp = (reason: string) => {
    if (notKept !== undefined) return
    notKept = reason
    chunks.length = 0
    gauge.bytes -= kept
    kept = 0
    hooks.onGiveUp?.(reason)
  }
  const snapshotRepresentation = () => {
    representation ??= { ...headArgs, ...res.getHeaders() }
  }
  const headGone = () => {
    if (headers !== undefined) return
    snapshotRepresentation()
    status = res.statusCode
    const final = { ...headArgs, ...res.getHeaders() }
    for (const name of REPRESENTATION) {
      if (representation![name] === undefined) delete final[name]
      else final[name] = representation![name]
    }
    headers = combined(final)
    if (hooks.onHead !== undefined && !hooks.onHead(status, headers)) giveUp('not storable')
  }
  const collect = (chunk: unknown, encoding: unknown) => {
    snapshotRepresentation()
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return
    const size = typeof chunk === 'string'
      ? Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : (chunk as Uint8Array).byteLength
    bytes += size
    if (notKept !== undefined) return
    if (bytes > maxBytes) return giveUp('over maxEntryBytes')
    chunks.push(typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : Buffer.from(chunk as Uint8Array))
    kept += size
    gauge.bytes += size
  }

  const { write, end, writeHead } = res
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    // Headers passed to writeHead itself may never show in getHeaders(): keep them, as an object or a flat array.
    const last = args[args.length - 1]
    if (Array.isArray(last)) headArgs = { ...headArgs, ...fromArray(last) }
    else if (last !== null && typeof last === 'object') headArgs = { ...headArgs, ...lowerCased(last as OutgoingHttpHeaders) }
    if (typeof args[0] === 'number') res.statusCode = args[0]
    // Before delegating: a layer below (compression mounted before the cache) adds its
    // Content-Encoding as the head goes out, and that does not describe the bytes this layer sees.
    snapshotRepresentation()
    const result = (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
    headGone()
    return result
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
    let settled = false
    const settle = (outcome: TeedResponse['outcome']) => {
      if (settled) return
      settled = true
      headGone()
      const declared = single(representation!['content-length'])
      if (outcome === 'finished' && notKept === undefined && declared !== undefined && Number(declared) !== bytes) {
        giveUp(`body of ${bytes} bytes, Content-Length ${declared}`)
      }
      const body = notKept === undefined ? Buffer.concat(chunks, kept) : undefined
      gauge.bytes -= kept
      kept = 0
      chunks.length = 0
      resolve({ outcome, status, headers: headers!, body, notKept })
    }
    res.once('finish', () => settle('finished'))
    res.once('close', () => settle(res.writableFinished ? 'finished' : 'aborted'))
  })
}

/** Repeated fields combined into one list value (RFC 9110 §5.3), except Set-Cookie, which cannot be (§5.3 note). */
function combined(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = Array.isArray(value) && name !== 'set-cookie' ? value.join(', ') : value
  }
  return out
}

/** A flat array (name, value, name, value…) or an array of pairs, repeated names kept. */
function fromArray(list: unknown[]): OutgoingHttpHeaders {
  const out: Record<string, string | string[]> = {}
  const add = (name: unknown, value: unknown) => {
    const lower = String(name).toLowerCase()
    const previous = out[lower]
    const values = Array.isArray(value) ? value.map(String) : [String(value)]
    out[lower] = previous === undefined ? (values.length === 1 ? values[0] : values) : [...[previous].flat(), ...values]
  }
  if (Array.isArray(list[0])) for (const pair of list as unknown[][]) add(pair[0], pair[1])
  else for (let i = 0; i + 1 < list.length; i += 2) add(list[i], list[i + 1])
  return out
}

function lowerCased(headers: OutgoingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value
  return out
}

function single(value: OutgoingHttpHeaders[string]): string | undefined {
  if (value === undefined) return undefined
  return Array.isArray(value) ? value[0] : String(value)
}
