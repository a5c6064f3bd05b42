/**
 * HTTP-date (RFC 9110 §5.6.7), read strictly: IMF-fixdate, and the obsolete
 * RFC 850 and asctime forms a recipient must still accept, all in GMT and
 * case-sensitive. `Date.parse` is not used: it takes what is no HTTP-date
 * (`2099`, `2099-01-01`, other zones) as a real time and reads asctime in
 * the host's time zone, which RFC 9111 §4.2 forbids; an Expires it misreads
 * keeps a response fresh for years (docs/http-conformance.md 9111-5.3-1).
 */

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 }
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'

const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`)

/**
 * Milliseconds since the epoch of an HTTP-date, or undefined when `text` is
 * not one (RFC 9111 §5.3: an invalid Expires then means "already expired").
 * `now` places a two-digit RFC 850 year: one that would be more than 50
 * years ahead is the most recent past year with those digits.
 */
export function parseHttpDate(text: string | string[] | undefined, now = Date.now()): number | undefined {
  if (typeof text !== 'string') return undefined
  const value = text.trim()
  let m = IMF_FIXDATE.exec(value)
  if (m !== null) return utc(Number(m[3]), m[2], Number(m[1]), m[4], m[5], m[6])
  m = ASCTIME_DATE.exec(value)
  if (m !== null) return utc(Number(m[6]), m[1], Number(m[2].trim()), m[3], m[4], m[5])
  m = RFC850_DATE.exec(value)
  if (m === null) return undefined
  const thisYear = new Date(now).getUTCFullYear()
  let year = thisYear - (thisYear % 100) + Number(m[3])
  if (year > thisYear + 50) year -= 100
  return utc(year, m[2], Number(m[1]), m[4], m[5], m[6])
}

function utc(year: number, month: string, day: number, hours: string, minutes: string, seconds: string): number | undefined {
  const h = Number(hours)
  const min = Number(minutes)
  const s = Number(seconds)
  // A leap second (60) is accepted, as RFC 9110's time-of-day allows; 31 February is not a date.
  if (h > 23 || min > 59 || s > 60 || day < 1) return undefined
  const ms = Date.UTC(year, MONTHS[month], day, h, min, s)
  return new Date(ms).getUTCDate() === day || s === 60 ? ms : undefined
}

let dateSecond = NaN
let dateText = ''

/** IMF-fixdate of `ms`, which has whole seconds: the same text for a whole second, so kept for it (one Date per hit was costly). */
export function httpDate(ms: number): string {
  const second = Math.floor(ms / 1000)
  if (second !== dateSecond) {
    dateText = new Date(ms).toUTCString()
    dateSecond = second
  }
  return dateText
}
