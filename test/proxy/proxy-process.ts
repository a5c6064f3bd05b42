/**
 * The proxy tests' real parts: origins on port 0 (plain node:http, or
 * https with a certificate made for the test), and the proxy started the
 * way a user starts it, `spillway proxy …` in a child process, ready when
 * it prints its "listening on" line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { after } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'

export const COMMAND = fileURLToPath(new URL('../../middleware/cli/spillway.js', import.meta.url))

export interface Origin {
  url: string
  server: Server
  /** Requests that reached the origin, per path (without query). */
  calls(path?: string): number
  close(): Promise<void>
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void

/** A plain (or, given a certificate, https) origin on 127.0.0.1, port 0, closed after the test file. */
export async function startOrigin(routes: Record<string, Handler>, tls?: { key: string; cert: string }): Promise<Origin> {
  const counts = new Map<string, number>()
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    const route = (req.url ?? '/').split('?')[0]
    const n = (counts.get(route) ?? 0) + 1
    counts.set(route, n)
    const handler = routes[route]
    if (handler === undefined) {
      res.statusCode = 404
      res.end('no such route')
      return
    }
    handler(req, res, n)
  }
  const server = tls === undefined ? http.createServer(listener) : https.createServer(tls, listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let closing: Promise<void> | undefined
  const close = () => (closing ??= new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  }))
  after(close)
  return {
    url: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    server,
    calls: (p) => (p === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : counts.get(p) ?? 0),
    close,
  }
}

export interface ProxyProcess {
  url: string
  child: ChildProcess
  dir: string
  /** Everything printed so far. */
  stdout(): string
  stderr(): string
  /** Resolves with the first whole stdout line matching `pattern`, printed already or to come. */
  line(pattern: RegExp): Promise<string>
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
  exited: Promise<number | null>
}

/** Runs `spillway proxy --target <target> --port 0 --dir <dir> …args` and waits for its listening line. */
export async function startProxy(target: string, args: string[] = [], dir = tempDir('proxy')): Promise<ProxyProcess> {
  const child = spawn(process.execPath, [COMMAND, 'proxy', '--target', target, '--port', '0', '--dir', dir, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  const waiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = []
  const check = () => {
    for (const waiter of [...waiters]) {
      const lines = out.split('\n')
      lines.pop()
      const found = lines.find((l) => waiter.pattern.test(l))
      if (found !== undefined) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(found)
      }
    }
  }
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    check()
  })
  child.stderr!.on('data', (chunk: Buffer) => { err += chunk.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  const line = (pattern: RegExp) => new Promise<string>((resolve, reject) => {
    // Matched against what is printed already, then against what comes.
    waiters.push({ pattern, resolve })
    check()
    void exited.then((code) => reject(new Error(`spillway proxy exited (code ${code}) before printing ${pattern}; stderr: ${err}`)))
  })
  const listening = await line(/listening on (http:\/\/\S+?),/)
  const url = /listening on (http:\/\/\S+?),/.exec(listening)![1]
  return {
    url,
    child,
    dir,
    stdout: () => out,
    stderr: () => err,
    line,
    stop: (signal = 'SIGTERM') => {
      child.kill(signal)
      return exited
    },
    exited,
  }
}

/** Runs the command to its end (bad usage, --help): exit code and output. */
export function runCommand(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [COMMAND, ...args], { encoding: 'utf8', timeout: 30_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/**
 * A self-signed certificate for 127.0.0.1 and localhost, made with the
 * openssl command; undefined (with the reason) when it cannot be.
 */
export function selfSignedCertificate(): { key: string; cert: string; certFile: string } | { skip: string } {
  const dir = tempDir('proxy-tls')
  const keyFile = path.join(dir, 'key.pem')
  const certFile = path.join(dir, 'cert.pem')
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' })
  if (made.error !== undefined || made.status !== 0) return { skip: `openssl could not make a certificate: ${made.error?.message ?? made.stderr}` }
  return { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), certFile }
}

/**
 * An origin that speaks raw bytes: for each request head it reads, `respond`
 * writes what it likes to the socket (a body shorter than its
 * Content-Length, garbage) and may close it. Counts the requests.
 */
export async function startRawOrigin(respond: (socket: import('node:net').Socket, n: number) => void): Promise<{ url: string; calls(): number }> {
  const net = await import('node:net')
  let calls = 0
  const sockets = new Set<import('node:net').Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    socket.on('error', () => {})
    let head = ''
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1')
      while (head.includes('\r\n\r\n')) {
        head = head.slice(head.indexOf('\r\n\r\n') + 4)
        respond(socket, ++calls)
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(() => new Promise<void>((resolve) => {
    for (const socket of sockets) socket.destroy()
    server.close(() => resolve())
  }))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls: () => calls }
}
