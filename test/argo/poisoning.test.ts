/**
 * Attacker first, victim second, through real argo: a request carrying
 * forwarded headers, credentials, a body on a GET, another Host or an
 * absolute-form target reaches the origin (argo forwards every request
 * header as it came, and rewrites Host), and the origin builds its response
 * from it. The plain request that follows never gets that response.
 */
import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { describe, it } from 'node:test'
import { isHit, rawRequest, rawSocketRequest } from '../helpers/raw-http.js'
import { nextStoringEvent, startArgoFront } from '../helpers/argo-front.js'

/** An origin that trusts too much: it echoes what the request told it, and calls the page public. */
function reflecting(req: IncomingMessage, body: string): string {
  const h = req.headers
  return `host=${h['x-forwarded-host'] ?? ''} proto=${h['x-forwarded-proto'] ?? ''} fwd=${h.forwarded ?? ''} ` +
    `auth=${h.authorization ?? ''} cookie=${h.cookie ?? ''} body=${body}`
}

const CLEAN = 'host= proto= fwd= auth= cookie= body='

async function start() {
  return startArgoFront((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      res.setHeader('cache-control', 'public, max-age=600')
      res.end(reflecting(req, Buffer.concat(chunks).toString()))
    })
  })
}

const ATTACKS: Array<[string, Record<string, string>]> = [
  ['X-Forwarded-Host and -Proto', { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }],
  ['Forwarded', { forwarded: 'host=evil.example;proto=https' }],
  ['Authorization', { authorization: 'Bearer attacker' }],
  ['Cookie', { cookie: 'session=attacker' }],
]

describe('argo plugin: attacker then victim', () => {
  for (const [name, headers] of ATTACKS) {
    it(`${name}: the attacker's response never reaches the plain request after it`, async () => {
      const front = await start()
      const attacker = await rawRequest(`${front.url}/page`, { headers })
      assert.notEqual(attacker.body.toString(), CLEAN, 'the origin used the header')
      const storing = nextStoringEvent(front.plugin)
      const victim = await rawRequest(`${front.url}/page`)
      assert.equal(victim.body.toString(), CLEAN)
      assert.ok(!isHit(victim), String(victim.headers['cache-status']))
      assert.equal((await storing)[0], 'stored')
      const later = await rawRequest(`${front.url}/page`)
      assert.ok(isHit(later))
      assert.equal(later.body.toString(), CLEAN)
    })
  }

  it('a GET with a body is passed through unstored, and the plain GET after it gets its own response', async () => {
    const front = await start()
    const attacker = await rawRequest(`${front.url}/page`, { headers: { 'content-type': 'text/plain', 'content-length': '4' }, body: 'evil' })
    assert.match(attacker.body.toString(), /body=evil/)
    const victim = await rawRequest(`${front.url}/page`)
    assert.equal(victim.body.toString(), CLEAN)
    assert.ok(!isHit(victim))
  })

  it('another Host, and an absolute-form target, never fill the entry a plain request is served', async () => {
    const front = await start()
    const { host } = new URL(front.url)
    await rawRequest(`${front.url}/page`, { headers: { host: 'evil.example' } })
    await rawSocketRequest(front.url, `GET http://evil.example/page HTTP/1.1\r\nHost: ${host}\r\nX-Forwarded-Host: evil.example\r\nConnection: close\r\n\r\n`)
    const victim = await rawRequest(`${front.url}/page`)
    assert.equal(victim.body.toString(), CLEAN)
    assert.ok(!isHit(victim), String(victim.headers['cache-status']))
  })
})
