import type { ServerResponse } from 'node:http'

/** Per response, the names whose member is still to be added at the head. */
const pending = new WeakMap<ServerResponse, Set<string>>()

/**
 * Adds a member to a list header (Cache-Status) as the head goes out rather
 * than before the route runs. A header set early changes how Node sends the
 * route's own head: with any header already set, a raw-array writeHead goes
 * through setHeader and two Set-Cookie lines become one. So the value joins
 * the route's own writeHead arguments (an object, a flat array or an array of
 * pairs), or is set when the route passes none. A value the route (or the
 * origin behind it) already gave keeps its members, and `value` follows them:
 * RFC 9211 §2 has each cache append its member, the one nearest the user
 * last, and preserve the existing value. Added once, at the first writeHead.
 */
export function setHeaderAtHead(res: ServerResponse, name: string, value: string): void {
  let names = pending.get(res)
  if (names === undefined) pending.set(res, names = new Set())
  names.add(name)
  const { writeHead } = res
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!res.headersSent && pending.get(res)?.delete(name) === true) {
      const last = args.length > 1 ? args[args.length - 1] : undefined
      if (Array.isArray(last)) {
        args[args.length - 1] = withMember(last, name, value, res)
      } else if (last !== null && typeof last === 'object') {
        const key = Object.keys(last).find((k) => k.toLowerCase() === name)
        const before = key === undefined ? res.getHeader(name) : (last as Record<string, unknown>)[key]
        const rest = { ...last } as Record<string, unknown>
        if (key !== undefined) delete rest[key]
        args[args.length - 1] = { ...rest, [name]: appended(before, value) }
      } else {
        res.setHeader(name, appended(res.getHeader(name), value))
      }
    }
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args)
  } as ServerResponse['writeHead']
}

/** The cache answers `res` itself and sets `name` in full: no member is added at the head. */
export function cancelHeaderAtHead(res: ServerResponse, name: string): void {
  pending.get(res)?.delete(name)
}

/** `value` as the last member of the list `before` (one or several field lines, or none). */
function appended(before: unknown, value: string): string {
  const lines = (Array.isArray(before) ? before : before === undefined ? [] : [before]).map(String).filter((line) => line.trim() !== '')
  return [...lines, value].join(', ')
}

/**
 * writeHead's array (flat or pairs) with `value` last in `name`'s list. Its own lines of that name win over a
 * setHeader'd value, and Node 20 keeps only the last of them once any header is set: so `value` joins the last.
 */
function withMember(list: unknown[], name: string, value: string, res: ServerResponse): unknown[] {
  const pairs = Array.isArray(list[0])
  const out = pairs ? (list as unknown[][]).map((pair) => [...pair]) : [...list]
  const step = pairs ? 1 : 2
  for (let i = out.length - step; i >= 0; i -= step) {
    const pair = pairs ? out[i] as unknown[] : out
    const at = pairs ? 0 : i
    if (String(pair[at]).toLowerCase() === name) {
      pair[at + 1] = appended(pair[at + 1], value)
      return out
    }
  }
  if (res.hasHeader(name)) {
    res.setHeader(name, appended(res.getHeader(name), value))
    return out
  }
  return pairs ? [...out, [name, value]] : [...out, name, value]
}
