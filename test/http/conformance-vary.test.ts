/**
 * RFC 9111 §4.1: a cache may normalise the request fields a response varies
 * on before it matches them (row 9111-4.1-2 of docs/http-conformance.md;
 * issue 13 part 3). Accept-Language and Accept-Charset lists that say the
 * same thing in other spellings (case, whitespace, q-value digits, the order
 * of items of different weight) share one variant; a list that says
 * something else (another weight, or another order among equal weights,
 * which servers read as a preference: RFC 9110 §12.5.4) gets its own.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { FRONT_ENDS, startOn, type Route } from '../helpers/http-apps.js'
import { isHit, rawRequest } from '../helpers/raw-http.js'

/**
 * The origin's choice among `offered`: the highest q, then the earlier item
 * (as Express's negotiator picks), from the list as the client wrote it.
 */
function negotiate(header: string | undefined, offered: string[]): string {
  let best = offered[0]
  let bestQ = -1
  for (const part of (header ?? '').split(',')) {
    const [name, ...params] = part.split(';').map((p) => p.trim().toLowerCase())
    const q = params.find((p) => p.startsWith('q'))
    const weight = q === undefined ? 1 : Number(q.replace(/^q\s*=\s*/, ''))
    if (offered.includes(name) && weight > bestQ) {
      best = name
      bestQ = weight
    }
  }
  return best
}

const byField = (field: string, offered: string[]): Route => (req, res, n) => {
  res.setHeader('cache-control', 'max-age=600')
  res.setHeader('vary', field)
  res.end(`${negotiate(req.headers[field] as string | undefined, offered)} n=${n}`)
}

for (const framework of FRONT_ENDS) describe(`normalised Accept-Language and Accept-Charset (${framework})`, () => {
  const start = startOn(framework)

  it('9111-4.1-2: Accept-Language lists that differ only in spelling share one variant; another preference gets its own, never the other\'s body', async () => {
    const app = await start({ '/page': byField('accept-language', ['en', 'fr', 'de']) })
    const get = (value: string) => rawRequest(`${app.url}/page`, { headers: { 'accept-language': value } })
    const cases: Array<[string, string]> = [
      ['en;q=0.8, fr', 'fr n=1'],
      ['FR, EN; Q=0.80', 'fr n=1'],
      ['fr;q=1.0 ,en;q=0.800', 'fr n=1'],
      ['fr;q=1, en;Q=0.8', 'fr n=1'],
      // Another weight: the origin picks English.
      ['en, fr;q=0.8', 'en n=2'],
      ['fr;q=0.8 ,EN', 'en n=2'],
      // Equal weights: the order is the preference.
      ['fr, en', 'fr n=3'],
      ['en, fr', 'en n=4'],
      ['EN ,  Fr;q=1.000', 'en n=4'],
      // Weights that are not qvalues (RFC 9110 §12.4.2), which servers read in different ways: kept as sent, own variants.
      ['fr, en;q = 0.8', 'fr n=5'],
      ['en;q=1.5, fr', 'en n=6'],
    ]
    for (const [value, body] of cases) {
      const res = await get(value)
      assert.equal(res.body.toString(), body, `Accept-Language: ${value}`)
    }
    assert.equal(app.originCalls('/page'), 6)
    assert.ok(isHit(await get('en;q=0.8,fr')))
  })

  it('9111-4.1-2: Accept-Charset lists that differ only in spelling share one variant', async () => {
    const app = await start({ '/text': byField('accept-charset', ['utf-8', 'iso-8859-1']) })
    const get = (value: string) => rawRequest(`${app.url}/text`, { headers: { 'accept-charset': value } })
    assert.equal((await get('utf-8;q=0.5, iso-8859-1')).body.toString(), 'iso-8859-1 n=1')
    assert.equal((await get('ISO-8859-1,UTF-8; q=0.50')).body.toString(), 'iso-8859-1 n=1')
    assert.equal((await get('utf-8, iso-8859-1;q=0.5')).body.toString(), 'utf-8 n=2')
    assert.equal(app.originCalls('/text'), 2)
  })
})
