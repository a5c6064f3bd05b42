/**
 * An attacker's requests over raw sockets: malformed request lines and
 * fields, header floods, absurd URLs, request smuggling shapes, and a
 * Connection header that asks the proxy to drop a field the response
 * varies on. Each gets a 4xx or a clean close; the proxy never crashes,
 * stores nothing from it, and a client on a kept-alive connection goes on
 * being served throughout.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import { describe, it } from 'node:test'
import { isHit, rawRequest, rawSocketRequest, rawStatus } from '../helpers/raw-http.js'
import { startOrigin, startProxy } from './proxy-process.js'

const origin = await startOrigin({
  '/target': (_req, res, n) => {
    res.setHeader('cache-control', 'public, max-age=600')
    res.end(`target ${n}`)
  },
  '/lang': (req, res) => {
    res.setHeader('cache-control', 'public, max-age=600')
    res.setHeader('vary', 'Accept-Language')
    res.end(String(req.headers['accept-language'] ?? 'en').startsWith('fr') ? 'bonjour' : 'hello')
  },
  '/other': (_req, res) => res.end('other'),
})
const proxy = await startProxy(origin.url)

/** A client on one kept-alive connection, as a bystander. */
const bystander = new http.Agent({ keepAlive: true, maxSockets: 1 })
function bystanderGet(): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(`${proxy.url}/other`, { agent: bystander }, (res) => {
      let text = ''
      res.on('data', (chunk: Buffer) => { text += chunk.toString() })
      res.on('end', () => resolve(text))
    }).on('error', reject)
  })
}

const LONG = 'a'.repeat(20 * 1024)
/** [label, request, whether Node reads it as a plain GET of the URL (then storing its answer is right)] */
const ATTACKS: Array<[string, string, 'same as a GET'?]> = [
  ['garbage bytes', '\u0000\u0001\u0002\u00ff\r\n\r\n'],
  // Node's parser reads this as an HTTP/0.9 GET with fields: the same request as a well-formed GET.
  ['a request line with no version', 'GET /target\r\nHost: x\r\n\r\n', 'same as a GET'],
  ['a request line with extra words', 'GET /target HTTP/1.1 please\r\nHost: x\r\n\r\n'],
  ['an unknown HTTP version', 'GET /target HTTP/7.3\r\nHost: x\r\n\r\n'],
  ['a field without a colon', 'GET /target HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'],
  ['a space before the colon', 'GET /target HTTP/1.1\r\nHost : x\r\n\r\n'],
  ['a control character in a value', 'GET /target HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0000b\r\n\r\n'],
  ['an obsolete line folding', 'GET /target HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n b\r\n\r\n'],
  ['Content-Length and Transfer-Encoding both', 'POST /target HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['two different Content-Lengths', 'POST /target HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 7\r\n\r\nabcd'],
  ['a malformed chunked request body', 'POST /target HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
  ['a 20 KiB URL', `GET /target?${LONG} HTTP/1.1\r\nHost: x\r\n\r\n`],
  ['a 20 KiB field', `GET /target HTTP/1.1\r\nHost: x\r\nX-Big: ${LONG}\r\n\r\n`],
  ['a flood of 3000 fields', `GET /target HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 3000 }, (_, i) => `X-F${i}: v`).join('\r\n')}\r\n\r\n`],
  ['an absolute-form target naming another host', 'GET http://evil.test/target HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['an asterisk-form GET', 'GET * HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['two Host fields', 'GET /target HTTP/1.1\r\nHost: x\r\nHost: evil.test\r\n\r\n'],
  ['a Host with a path in it', 'GET /target HTTP/1.1\r\nHost: evil.test/target\r\n\r\n'],
  ['a CONNECT', 'CONNECT evil.test:443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n'],
]

describe('attacks over raw sockets', () => {
  ATTACKS.forEach(([label, attack, sameAsGet], i) => {
    it(`${label}: a 4xx or a clean close, nothing stored, the bystander served`, async () => {
      // A URL of its own: the plain GET after the attack is the first honest request for it.
      const url = `/target?attack=${i}`
      // Connection: close, so an attack the proxy answers ends with its connection, not with the
      // server's keep-alive timer (which cost this suite about 70 s of waiting).
      const text = attack.replaceAll('/target', url).replace(/\r\n\r\n/, '\r\nConnection: close\r\n\r\n')
      for (let n = 0; n < 3; n++) {
        const answer = await rawSocketRequest(proxy.url, text, 10_000)
        const status = rawStatus(answer)
        assert.ok(answer === '' || (status >= 400 && status < 500) || status === 200,
          `${label}: ${JSON.stringify(answer.slice(0, 80))}`)
        assert.doesNotMatch(answer, /\bat \S+ \(|node:internal/, 'a stack trace reached the client')
        assert.equal(await bystanderGet(), 'other')
      }
      const clean = await rawRequest(`${proxy.url}${url}`, { headers: { host: 'x' } })
      assert.equal(clean.status, 200)
      if (sameAsGet === undefined) assert.ok(!isHit(clean), `${label}: the attack stored an entry (${String(clean.headers['cache-status'])})`)
      else assert.match(clean.body.toString(), /^target \d+$/)
      assert.equal(proxy.child.exitCode, null, 'the proxy exited')
    })
  })

  it('a client asking through Connection to drop Accept-Language cannot store its answer as the fr variant', async () => {
    for (let n = 0; n < 3; n++) {
      const poisoned = await rawRequest(`${proxy.url}/lang`, { headers: { host: 'cache.test', 'accept-language': 'fr', connection: 'accept-language' } })
      assert.equal(poisoned.body.toString(), 'hello', 'the origin saw the dropped field')
    }
    for (let n = 0; n < 3; n++) {
      const honest = await rawRequest(`${proxy.url}/lang`, { headers: { host: 'cache.test', 'accept-language': 'fr' } })
      assert.equal(honest.body.toString(), 'bonjour', `request ${n + 1} got the attacker's answer`)
    }
  })

  it('the proxy is still up after all of it', async () => {
    assert.equal((await rawRequest(`${proxy.url}/other`)).body.toString(), 'other')
    bystander.destroy()
    assert.equal(await proxy.stop(), 0, proxy.stderr())
  })
})
