/**
 * `spillway proxy`, run as a user runs it: bad usage, where it listens, its
 * request log, a cache that survives a restart, and a graceful shutdown
 * that loses no response under way.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { describe, it } from 'node:test'
import { isHit, rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'
import { runCommand, startOrigin, startProxy } from './proxy-process.js'

describe('spillway proxy: usage', () => {
  for (const [label, args] of [
    ['no --target', ['proxy', '--port', '0']],
    ['a port that is not a number', ['proxy', '--target', 'http://127.0.0.1:1', '--port', 'abc']],
    ['a port out of range', ['proxy', '--target', 'http://127.0.0.1:1', '--port', '70000']],
    ['a size with an unknown unit', ['proxy', '--target', 'http://127.0.0.1:1', '--max-heap', '12XB']],
    ['a size of zero', ['proxy', '--target', 'http://127.0.0.1:1', '--max-disk', '0']],
    ['a ttl that is no duration', ['proxy', '--target', 'http://127.0.0.1:1', '--ttl', 'forever']],
    ['a target that is not http(s)', ['proxy', '--target', 'ftp://127.0.0.1/', '--port', '0']],
    ['a target that is no URL', ['proxy', '--target', 'not a url', '--port', '0']],
    ['an unknown flag', ['proxy', '--target', 'http://127.0.0.1:1', '--frobnicate']],
    ['an unknown command', ['proxi', '--target', 'http://127.0.0.1:1']],
    ['no command', []],
  ] as const) {
    it(`${label}: the usage on stderr, exit code 2, nothing on stdout`, () => {
      const { status, stdout, stderr } = runCommand([...args])
      assert.equal(status, 2, `exit code; stderr: ${stderr}`)
      assert.match(stderr, /Usage: spillway/)
      assert.equal(stdout, '')
    })
  }

  it('a --dir that cannot be a directory: the reason on stderr, exit code 1', () => {
    const file = path.join(tempDir('proxy-file'), 'plain-file')
    fs.writeFileSync(file, 'not a directory')
    const { status, stderr } = runCommand(['proxy', '--target', 'http://127.0.0.1:1', '--port', '0', '--dir', file])
    assert.equal(status, 1, stderr)
    assert.match(stderr, /could not be opened/)
  })

  it('--help prints the usage on stdout and exits 0', () => {
    const { status, stdout } = runCommand(['proxy', '--help'])
    assert.equal(status, 0)
    assert.match(stdout, /Usage: spillway proxy/)
    for (const flag of ['--target', '--port', '--dir', '--host', '--max-heap', '--max-disk', '--ttl', '--log']) assert.ok(stdout.includes(flag), flag)
  })
})

describe('spillway proxy: serving', () => {
  it('prints where it listens, logs one line per request, and stores responses without freshness for --ttl', async () => {
    const origin = await startOrigin({ '/plain': (_req, res, n) => res.end(`plain ${n}`) })
    const proxy = await startProxy(origin.url, ['--log', '--ttl', '1m', '--max-heap', '1MiB', '--max-disk', '1MiB'])
    assert.match(proxy.url, /^http:\/\/127\.0\.0\.1:\d+$/)
    const bodies: string[] = []
    for (let n = 0; n < 3; n++) bodies.push((await rawRequest(`${proxy.url}/plain?x=1`)).body.toString())
    // Stored on its second miss (admission 'second-hit', the default), then a hit.
    assert.deepEqual(bodies, ['plain 1', 'plain 2', 'plain 2'])
    assert.equal(origin.calls('/plain'), 2)
    const lines = await Promise.all([proxy.line(/^GET \/plain\?x=1 200 hit [\d.]+ms$/), proxy.line(/^GET \/plain\?x=1 200 uri-miss [\d.]+ms$/)])
    assert.equal(lines.length, 2)
    assert.equal(await proxy.stop(), 0, proxy.stderr())
  })

  it('serves a hit after a restart on the same --dir, without calling the origin', async () => {
    const origin = await startOrigin({ '/page': (_req, res, n) => {
      res.setHeader('cache-control', 'public, max-age=600')
      res.end(`page ${n}`)
    } })
    const dir = tempDir('proxy-restart')
    const first = await startProxy(origin.url, [], dir)
    // One Host for both runs: the key holds it, and the second run listens on another port.
    const headers = { host: 'cache.test' }
    for (let n = 0; n < 3; n++) await rawRequest(`${first.url}/page`, { headers })
    assert.equal(origin.calls('/page'), 2)
    assert.equal(await first.stop('SIGINT'), 0, first.stderr())
    const second = await startProxy(origin.url, [], dir)
    const res = await rawRequest(`${second.url}/page`, { headers })
    assert.ok(isHit(res), String(res.headers['cache-status']))
    assert.equal(res.body.toString(), 'page 2')
    assert.equal(origin.calls('/page'), 2)
    assert.equal(await second.stop(), 0)
  })

  it('on SIGTERM stops accepting, finishes the response under way, and exits 0', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => { release = resolve })
    let arrived!: () => void
    const inOrigin = new Promise<void>((resolve) => { arrived = resolve })
    const origin = await startOrigin({ '/slow': (_req, res) => {
      res.setHeader('content-type', 'text/plain')
      res.write('first half, ')
      arrived()
      void released.then(() => res.end('second half'))
    } })
    const proxy = await startProxy(origin.url)
    const response = rawRequest(`${proxy.url}/slow`, { timeoutMs: 30_000 })
    await inOrigin
    proxy.child.kill('SIGTERM')
    await waitFor(() => /SIGTERM, finishing/.test(proxy.stderr()), proxy)
    // No new connections once shutdown has begun.
    const { port } = new URL(proxy.url)
    await assert.rejects(new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1', () => { socket.destroy(); resolve(undefined) })
      socket.on('error', reject)
    }), /ECONNREFUSED/)
    release()
    const res = await response
    assert.equal(res.status, 200)
    assert.equal(res.body.toString(), 'first half, second half')
    assert.equal(await proxy.exited, 0, proxy.stderr())
  })
})

/** Resolves when `condition` holds, checked on each chunk the child writes to stderr. */
function waitFor(condition: () => boolean, proxy: { child: import('node:child_process').ChildProcess }): Promise<void> {
  return new Promise((resolve) => {
    if (condition()) return resolve()
    const check = () => {
      if (!condition()) return
      proxy.child.stderr!.off('data', check)
      resolve()
    }
    proxy.child.stderr!.on('data', check)
  })
}
