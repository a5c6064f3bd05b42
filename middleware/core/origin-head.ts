import type { ServerResponse } from 'node:http'

/**
 * Watches a forwarded request's response for the origin's answer: the first
 * writeHead, write or end that comes down to `res` from the route (Express's
 * next()), the proxy's upstream response or argo's target. Express's
 * res.send() goes straight to end(), with no writeHead of its own, so all
 * three are watched. Installed last, just before the request goes on, these
 * wrappers are the outermost of the cache's: `onHead` runs before the layers
 * below decide what becomes of the response (hold-back.ts may keep a 304 or
 * a 5xx and answer in its place) and `afterHead` just after they did.
 *
 * A head the cache writes itself while the route has not answered (an
 * origin timeout answered with a stale entry: `cacheAnswers()` already
 * true) is not the origin's; neither is anything the route sends after
 * that, as it comes too late to be timed against the request.
 */
export function watchOriginHead(res: ServerResponse, cacheAnswers: () => boolean, onHead: () => void, afterHead: () => void): void {
  const { writeHead, write, end } = res
  let seen = false
  const wrap = <F extends (...args: never[]) => unknown>(original: F): F => function (this: ServerResponse, ...args: Parameters<F>) {
    if (seen) return original.apply(this, args)
    seen = true
    if (cacheAnswers()) return original.apply(this, args)
    onHead()
    const result = original.apply(this, args)
    afterHead()
    return result
  } as F
  res.writeHead = wrap(writeHead as (...args: never[]) => ServerResponse) as ServerResponse['writeHead']
  res.write = wrap(write as (...args: never[]) => boolean) as ServerResponse['write']
  res.end = wrap(end as (...args: never[]) => ServerResponse) as ServerResponse['end']
}
