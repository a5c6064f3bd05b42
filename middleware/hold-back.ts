import type { ServerResponse } from 'node:http'

/**
 * Lets a route's response go out as usual unless its status says the cache
 * should answer instead: a 304 to a revalidation the cache made, or a 5xx
 * when a stale entry may stand in for it (stale-if-error). Then nothing of the
 * route's response is sent; its headers are cleared and `answer` responds in
 * its place, through the same `res`. The wrappers stay in place (other layers,
 * the tee among them, may wrap them in turn) and pass through once decided.
 */
export function holdBack(res: ServerResponse, shouldHold: (status: number) => boolean,
  answer: (status: number, headers: Record<string, unknown>) => void): void {
  const { writeHead, write, end } = res
  let state: 'undecided' | 'passing' | 'held' | 'answering' = 'undecided'
  const decide = (status: number) => {
    if (state === 'undecided') state = shouldHold(status) ? 'held' : 'passing'
  }
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    decide(typeof args[0] === 'number' ? args[0] : res.statusCode)
    if (state === 'held') return this
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['writeHead']
  res.write = function (this: ServerResponse, ...args: unknown[]) {
    decide(res.statusCode)
    if (state === 'held') return true
    return (write as (...a: unknown[]) => boolean).apply(this, args)
  } as ServerResponse['write']
  res.end = function (this: ServerResponse, ...args: unknown[]) {
    decide(res.statusCode)
    if (state !== 'held') return (end as (...a: unknown[]) => ServerResponse).apply(this, args)
    state = 'answering'
    const status = res.statusCode
    const headers = res.getHeaders()
    for (const name of res.getHeaderNames()) res.removeHeader(name)
    answer(status, headers)
    return this
  } as ServerResponse['end']
}
