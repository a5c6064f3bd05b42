/**
 * Upgrade requests (a WebSocket handshake) pass through the proxy at the
 * socket level: the origin answers 101 and the bytes then flow both ways
 * untouched. Raw sockets on both ends, so nothing parses the frames.
 */
import assert from 'node:assert/strict'
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'
import { after, describe, it } from 'node:test'
import { rawRequest, rawSocketRequest, rawStatus } from '../helpers/raw-http.js'
import { startProxy } from './proxy-process.js'

/** An origin whose upgrade handler answers 101 and echoes what it receives, upper-cased. */
async function echoOrigin(): Promise<{ url: string; heads: http.IncomingHttpHeaders[] }> {
  const heads: http.IncomingHttpHeaders[] = []
  const tunnels = new Set<net.Socket>()
  const server = http.createServer((_req, res) => res.end('plain'))
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
    heads.push(req.headers)
    // Upgraded sockets are the handler's: server.close() waits for them, closeAllConnections() does not close them.
    tunnels.add(socket)
    socket.once('close', () => tunnels.delete(socket))
    socket.once('end', () => socket.end())
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n')
    if (head.byteLength > 0) socket.write(asciiUpperCase(head))
    socket.on('data', (chunk: Buffer) => socket.write(asciiUpperCase(chunk)))
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(() => new Promise<void>((resolve) => {
    for (const socket of tunnels) socket.destroy()
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, heads }
}

/** The bytes with a-z made A-Z, and every other byte as it was. */
function asciiUpperCase(bytes: Buffer): Buffer {
  return Buffer.from(bytes.map((b) => (b >= 0x61 && b <= 0x7a ? b - 0x20 : b)))
}

/** Opens a raw connection, sends the handshake, resolves with the socket once the response head is in. */
function handshake(url: string, path: string): Promise<{ socket: net.Socket; head: string; rest: Buffer }> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(`GET ${path} HTTP/1.1\r\nHost: cache.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
    })
    let got = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      const end = got.indexOf('\r\n\r\n')
      if (end < 0) return
      socket.off('data', onData)
      resolve({ socket, head: got.subarray(0, end).toString('latin1'), rest: got.subarray(end + 4) })
    }
    socket.on('data', onData)
    socket.on('error', reject)
  })
}

function readExactly(socket: net.Socket, bytes: number, already: Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    let got = already
    const check = () => {
      if (got.byteLength < bytes) return
      socket.off('data', onData)
      resolve(got)
    }
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk])
      check()
    }
    socket.on('data', onData)
    check()
  })
}

describe('upgrade requests', () => {
  it('a WebSocket handshake gets the origin\'s 101, then bytes flow both ways untouched', async () => {
    const origin = await echoOrigin()
    const proxy = await startProxy(origin.url)
    const { socket, head, rest } = await handshake(proxy.url, '/ws?room=1')
    assert.equal(rawStatus(head), 101, head)
    assert.match(head, /^upgrade: websocket$/im)
    socket.write('hello through the tunnel')
    assert.equal((await readExactly(socket, 24, rest)).toString(), 'HELLO THROUGH THE TUNNEL')
    // A binary frame comes back byte for byte.
    const frame = Buffer.from([0x81, 0x85, 0x00, 0xff, 0x10, 0x7f, 0x0d, 0x0a])
    socket.write(frame)
    assert.deepEqual(await readExactly(socket, frame.byteLength, Buffer.alloc(0)), frame)
    socket.destroy()
    const seen = origin.heads[0]
    assert.equal(seen.upgrade, 'websocket')
    assert.match(String(seen.connection), /upgrade/i)
    assert.equal(seen['sec-websocket-key'], 'dGhlIHNhbXBsZSBub25jZQ==')
    assert.equal(seen['x-forwarded-host'], 'cache.test')
    assert.equal(seen.via, '1.1 spillway')
    // Ordinary requests are still served beside it.
    assert.equal((await rawRequest(`${proxy.url}/plain`)).body.toString(), 'plain')
    assert.equal(await proxy.stop(), 0)
  })

  it('SIGTERM closes an open tunnel and the proxy exits 0', async () => {
    const origin = await echoOrigin()
    const proxy = await startProxy(origin.url)
    const { socket, head, rest } = await handshake(proxy.url, '/ws')
    assert.equal(rawStatus(head), 101)
    socket.write('ping')
    assert.equal((await readExactly(socket, 4, rest)).toString(), 'PING')
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
    socket.on('error', () => {})
    assert.equal(await proxy.stop('SIGTERM'), 0, proxy.stderr())
    await closed
  })

  it('an upgrade to an origin that is down gets a 502 and a closed connection', async () => {
    const server = http.createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise<void>((resolve) => server.close(() => resolve()))
    const proxy = await startProxy(`http://127.0.0.1:${port}`)
    const answer = await rawSocketRequest(proxy.url, 'GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n', 10_000)
    assert.equal(rawStatus(answer), 502, answer)
    assert.match(answer, /unreachable/)
    assert.equal(await proxy.stop(), 0)
  })
})
