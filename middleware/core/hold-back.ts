import type { ServerResponse } from 'node:http'

/**
 * Lets a route's response go out as usual unless its status says the cache
 * should answer instead: a 304 to a revalidation the cache made, or a 5xx
 * when a stale entry may stand in for it (stale-if-error). Then nothing of the
 * route's response is sent; its headers are cleared and `answer` responds in
 * its place, through the same `res`. The wrappers stay in place (other layers,
 * the tee among them, may wrap them in turn) and pass through once decided.
 */
export function holdBack(res: ServerResponse, shouldHold: (status: number, headers: Record<string, unknown>) => boolean,
  answer: (status: number, headers: Record<string, unknown>) => void): { preempt(): boolean; held(): boolean } {
  const { writeHead, write, end, setHeader, removeHeader } = res
  // 'answering': the cache's own response goes through; 'dropped': the route's late writes go nowhere.
  let state: 'undecided' | 'passing' | 'held' | 'answering' | 'dropped' = 'undecided'
  // The head of a held response: writeHead's own headers never reach getHeaders() when nothing was set before.
  let heldArgs: Record<string, unknown> = {}
  const decide = (status: number, headArgs?: unknown) => {
    if (state !== 'undecided') return
    heldArgs = headersOf(headArgs)
    state = shouldHold(status, { ...heldArgs, ...res.getHeaders() }) ? 'held' : 'passing'
  }
  // Once dropped, the route may still be running: its header calls must not throw "headers already sent".
  res.setHeader = function (this: ServerResponse, ...args: unknown[]) {
    if (state === 'dropped') return this
    return (setHeader as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['setHeader']
  res.removeHeader = function (this: ServerResponse, ...args: unknown[]) {
    if (state !== 'dropped') (removeHeader as (...a: unknown[]) => void).apply(this, args)
  } as ServerResponse['removeHeader']
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    decide(typeof args[0] === 'number' ? args[0] : res.statusCode, args.length > 1 ? args[args.length - 1] : undefined)
    if (state === 'held' || state === 'dropped') return this
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['writeHead']
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    decide(res.statusCode)
    if (state === 'held' || state === 'dropped') return true
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  } as ServerResponse['write']
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    decide(res.statusCode)
    if (state === 'dropped') return this
    if (state !== 'held') return (end as (...a: unknown[]) => ServerResponse).apply(this, args)
    respond(res.statusCode)
    return this
  } as ServerResponse['end']

  function respond(status: number): void {
    state = 'answering'
    const headers = { ...heldArgs, ...res.getHeaders() }
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    answer(status, headers)
    state = 'dropped'
  }

  return {
    /** Answers now, before the route has (an origin timeout); false if its response already started. */
    preempt(): boolean {
      if (state !== 'undecided' || res.headersSent) return false
      respond(504)
      return true
    },
    /** Whether the route's response was held (or preempted): the cache answers, or has answered, in its place. */
    held: () => state === 'held' || state === 'answering' || state === 'dropped',
  }
}

/** The headers given to writeHead itself (an object, a flat array or pairs), lower-cased. */
function headersOf(args: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (Array.isArray(args)) {
    if (Array.isArray(args[0])) for (const pair of args as unknown[][]) out[String(pair[0]).toLowerCase()] = pair[1]
    else for (let i = 0; i + 1 < args.length; i += 2) out[String(args[i]).toLowerCase()] = args[i + 1]
  } else if (args !== null && typeof args === 'object') {
    for (const [name, value] of Object.entries(args)) out[name.toLowerCase()] = value
  }
  return out
}
