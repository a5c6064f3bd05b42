import type { ServerResponse } from 'node:http'

/**
 * Sets a header (Cache-Status) as the head goes out rather than before the
 * route runs. A header set early changes how Node sends the route's own head:
 * with any header already set, a raw-array writeHead goes through setHeader
 * and two Set-Cookie lines become one. So the value joins the route's own
 * writeHead arguments (an object, a flat array or an array of pairs), or is set
 * when the route passes none. A value the route set itself is left alone.
 */
export function setHeaderAtHead(res: ServerResponse, name: string, value: string): void {
  const { writeHead } = res
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!res.headersSent && !res.hasHeader(name)) {
      const last = args.length > 1 ? args[args.length - 1] : undefined
      if (Array.isArray(last)) {
        if (!hasFlatOrPair(last, name)) args[args.length - 1] = Array.isArray(last[0]) ? [...last, [name, value]] : [...last, name, value]
      } else if (last !== null && typeof last === 'object') {
        if (!Object.keys(last).some((k) => k.toLowerCase() === name)) args[args.length - 1] = { ...last, [name]: value }
      } else {
        res.setHeader(name, value)
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['writeHead']
}

function hasFlatOrPair(list: unknown[], name: string): boolean {
  if (Array.isArray(list[0])) return list.some((pair) => String((pair as unknown[])[0]).toLowerCase() === name)
  for (let i = 0; i < list.length; i += 2) if (String(list[i]).toLowerCase() === name) return true
  return false
}
