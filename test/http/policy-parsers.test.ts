/**
 * The readers under the cache's policy, on their own: HTTP-dates
 * (middleware/core/http-date.ts), Cache-Control lists
 * (middleware/core/cache-control.ts) and targeted fields
 * (middleware/core/targeted-fields.ts). The HTTP behaviour they lead to is
 * tested per row in conformance-policy.test.ts; here, the edge cases, and
 * random input that must never throw.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { httpDate, parseHttpDate } from '../../middleware/core/http-date.js'
import { deltaSeconds, fieldNames, parseDirectives } from '../../middleware/core/cache-control.js'
import { targetedDirectives } from '../../middleware/core/targeted-fields.js'
import { seededRandom } from '../helpers/seeded-random.js'

const NOV_6_1994 = Date.UTC(1994, 10, 6, 8, 49, 37)

describe('HTTP-date (RFC 9110 §5.6.7)', () => {
  it('reads the three forms of the RFC\'s example as the same instant', () => {
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), NOV_6_1994)
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2026, 0, 1)), NOV_6_1994)
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), NOV_6_1994)
  })

  it('refuses what is no HTTP-date: other zones, ISO dates, bare years, wrong case, impossible days and times', () => {
    for (const text of ['2099', '2099-01-01', '0', '', 'Sun, 06 Nov 1994 08:49:37 UTC', 'Sun, 06 Nov 1994 08:49:37 +0000',
      'sun, 06 nov 1994 08:49:37 gmt', 'Sun, 6 Nov 1994 08:49:37 GMT', 'Mon, 31 Feb 2025 00:00:00 GMT', 'Mon, 01 Jan 2025 24:00:00 GMT',
      'Sun, 06 Nov 1994 08:49:37 GMT trailing', undefined]) {
      assert.equal(parseHttpDate(text), undefined, String(text))
    }
    assert.equal(parseHttpDate(['Sun, 06 Nov 1994 08:49:37 GMT', 'Sun, 06 Nov 1994 08:49:37 GMT']), undefined, 'two field lines are no date')
  })

  it('places a two-digit year within 50 years ahead, else in the past century', () => {
    const now = Date.UTC(2026, 5, 1)
    assert.equal(new Date(parseHttpDate('Friday, 01-Jan-76 00:00:00 GMT', now)!).getUTCFullYear(), 2076)
    assert.equal(new Date(parseHttpDate('Friday, 01-Jan-77 00:00:00 GMT', now)!).getUTCFullYear(), 1977)
    assert.equal(new Date(parseHttpDate('Friday, 01-Jan-26 00:00:00 GMT', now)!).getUTCFullYear(), 2026)
  })

  it('formats what it reads back, a leap day included', () => {
    for (const ms of [NOV_6_1994, Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(2000, 0, 1)]) assert.equal(parseHttpDate(httpDate(ms)), ms)
  })
})

describe('Cache-Control lists (RFC 9111 §5.2)', () => {
  it('lower-cases names, unquotes arguments, keeps commas inside quotes, and keeps the first of a repeat', () => {
    const d = parseDirectives('Max-Age=60, max-age=5, No-Cache="Set-Cookie, X-A", x-ext="a, max-age=9", PUBLIC')
    assert.equal(d.get('max-age'), '60')
    assert.equal(d.get('no-cache'), 'Set-Cookie, X-A')
    assert.deepEqual(fieldNames(d.get('no-cache')), ['set-cookie', 'x-a'])
    assert.equal(d.get('x-ext'), 'a, max-age=9')
    assert.equal(d.get('public'), true)
    assert.equal(d.size, 4)
    assert.deepEqual([...parseDirectives(['max-age=1', 'max-age=2']).entries()], [['max-age', '1']])
    assert.equal(parseDirectives('a="b\\"c", d').get('a'), 'b"c')
  })

  it('takes only digits as delta-seconds, capped at 2^31', () => {
    assert.equal(deltaSeconds('60'), 60)
    for (const junk of ['10abc', '1.5', '-5', '', ' 5', true, undefined] as Array<string | true | undefined>) assert.equal(deltaSeconds(junk), undefined, String(junk))
    assert.equal(deltaSeconds('99999999999999'), 2 ** 31)
  })

  it('never throws, whatever the bytes', () => {
    const random = seededRandom(13)
    const alphabet = 'aZ=,"\\ ;-9\t'
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
      for (const [name] of parseDirectives(text)) assert.equal(name, name.trim().toLowerCase())
      targetedDirectives({ 'cdn-cache-control': text }, ['cdn-cache-control'])
    }
  })
})

describe('targeted fields (RFC 9213)', () => {
  const targets = ['spillway-cache-control', 'cdn-cache-control']

  it('takes the first field in the list with a valid, non-empty dictionary', () => {
    assert.equal(targetedDirectives({ 'cdn-cache-control': 'max-age=60', 'spillway-cache-control': 'no-store' }, targets)?.has('no-store'), true)
    assert.equal(targetedDirectives({ 'cdn-cache-control': 'max-age=60', 'spillway-cache-control': '' }, targets)?.get('max-age'), '60')
    assert.equal(targetedDirectives({ 'cache-control': 'max-age=60' }, targets), undefined)
  })

  it('refuses a value that is no Structured Fields Dictionary, and reads booleans and strings', () => {
    for (const invalid of ['Max-Age=60', 'max-age=60,,no-store', 'max-age=6 0', 'max-age="unterminated']) {
      assert.equal(targetedDirectives({ 'cdn-cache-control': invalid }, ['cdn-cache-control']), undefined, invalid)
    }
    const d = targetedDirectives({ 'cdn-cache-control': 'max-age=60;x=1, private="set-cookie", no-store=?0, public=?1' }, ['cdn-cache-control'])!
    assert.equal(d.get('max-age'), '60')
    assert.equal(d.get('private'), 'set-cookie')
    assert.equal(d.has('no-store'), false)
    assert.equal(d.get('public'), true)
  })
})
