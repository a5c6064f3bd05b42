/**
 * Construction-time option checks. Each throws a TypeError worded
 * `<Thing> options.<name> must be …`, so a bad option fails at once and says
 * which one it was.
 */

export function checkInteger(thing: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`${thing} options.${name} must be an integer from ${min} to ${max}; got ${describe(value)}`)
  }
  return value
}

/** A byte or time budget: a positive integer, or Infinity for "no limit". */
export function checkLimit(thing: string, name: string, value: unknown): number {
  if (value === Infinity) return value
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`${thing} options.${name} must be a positive integer or Infinity; got ${describe(value)}`)
  }
  return value
}

export function checkOneOf<T extends string>(thing: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    throw new TypeError(`${thing} options.${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}; got ${describe(value)}`)
  }
  return value as T
}

export function checkFunction<F>(thing: string, name: string, value: unknown): F {
  if (typeof value !== 'function') throw new TypeError(`${thing} options.${name} must be a function; got ${describe(value)}`)
  return value as F
}

export function checkBoolean(thing: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${thing} options.${name} must be a boolean; got ${describe(value)}`)
  return value
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  return typeof value
}
