/**
 * nginx with proxy_cache for bench/proxy.ts, when an `nginx` binary is on
 * the PATH: a configuration written to a temporary directory (cache, temp
 * files, pid and error log all in it), one worker, run in the foreground
 * (`-g 'daemon off;'`), in front of the bench's origin. It offers what a
 * bench/lib/http-child.ts ServerProcess offers: a URL, start/stop with the
 * CPU time of nginx's processes (master, worker, cache manager and loader,
 * from /proc/<pid>/stat) and the requests it served (stub_status, when the
 * binary has it), and close.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import type { Counters } from './http-common.js'

const STATUS_PATH = '/bench-nginx-status'
const READY_TIMEOUT_MS = 10_000

/** The nginx binary on the PATH, or undefined. */
export function findNginx(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue
    const file = path.join(dir, 'nginx')
    try {
      fs.accessSync(file, fs.constants.X_OK)
      return file
    } catch {
      // not here
    }
  }
  return undefined
}

/** What `nginx <flag>` prints (-v and -V print on stderr). */
function nginxSays(binary: string, flag: '-v' | '-V'): string {
  const result = spawnSync(binary, [flag], { encoding: 'utf8' })
  return `${result.stdout ?? ''}${result.stderr ?? ''}`
}

export function nginxVersion(binary: string): string {
  return /nginx\/(\S+)/.exec(nginxSays(binary, '-v'))?.[1] ?? 'unknown'
}

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/**
 * tcp_nopush stays off: with it (and sendfile), every 64 KiB hit waited
 * about 40 ms on loopback, its corked tail held until a delayed ACK came.
 */
function config(dir: string, port: number, origin: URL, withStatus: boolean): string {
  return `# Written by bench/proxy.ts for one run.
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;\n' : ''}error_log ${dir}/error.log warn;
pid ${dir}/nginx.pid;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_timeout 60s;
  keepalive_requests 100000000;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy_temp;
  fastcgi_temp_path ${dir}/fastcgi_temp;
  uwsgi_temp_path ${dir}/uwsgi_temp;
  scgi_temp_path ${dir}/scgi_temp;
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=bench:32m max_size=1g inactive=60m use_temp_path=off;
  upstream origin {
    server ${origin.hostname}:${origin.port};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      add_header X-Cache-Status $upstream_cache_status;
    }
${withStatus ? `    location = ${STATUS_PATH} { stub_status; }\n` : ''}  }
}
`
}

/** utime + stime of a process and its RSS, or zeros once it is gone. */
function processCpu(pid: number, tickUs: number): { user: number; system: number; rss: number } {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) in parentheses: state is field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { user: Number(fields[11]) * tickUs, system: Number(fields[12]) * tickUs, rss: Number(fields[21]) * 4096 }
  } catch {
    return { user: 0, system: 0, rss: 0 }
  }
}

function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return children
}

export class NginxProcess {
  readonly url: string
  private readonly tickUs = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
  private base = { user: 0, system: 0, wall: 0n, requests: 0 }

  private constructor(private readonly child: ChildProcess, private readonly dir: string, port: number, private readonly withStatus: boolean) {
    this.url = `http://127.0.0.1:${port}`
  }

  /** Starts nginx in front of `origin` and waits until it accepts connections. */
  static async start(binary: string, origin: string): Promise<NginxProcess> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-bench-nginx-'))
    const withStatus = nginxSays(binary, '-V').includes('http_stub_status_module')
    const port = await freePort()
    fs.writeFileSync(path.join(dir, 'nginx.conf'), config(dir, port, new URL(origin), withStatus))
    const child = spawn(binary, ['-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log'), '-g', 'daemon off;'], {
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    const nginx = new NginxProcess(child, dir, port, withStatus)
    // Left running, nginx would outlive a bench that stops early.
    const orphaned = () => { child.kill('SIGTERM') }
    process.once('exit', orphaned)
    child.once('exit', () => process.off('exit', orphaned))
    try {
      await nginx.ready(port)
      return nginx
    } catch (err) {
      await nginx.close()
      throw err
    }
  }

  private async ready(port: number): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`nginx exited at start-up: ${this.errorLog()}`)
      const connected = await new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true) })
        socket.once('error', () => resolve(false))
      })
      if (connected) return
      if (Date.now() > deadline) throw new Error(`nginx did not listen within ${READY_TIMEOUT_MS} ms: ${this.errorLog()}`)
      // A bench waiting for another program to come up: nothing to wait on but time.
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  private errorLog(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'error.log'), 'utf8').trim().split('\n').slice(-3).join(' | ') || '(error log empty)'
    } catch {
      return '(no error log)'
    }
  }

  private cpu(): { user: number; system: number; rss: number } {
    const pid = this.child.pid!
    const total = { user: 0, system: 0, rss: 0 }
    for (const p of [pid, ...childrenOf(pid)]) {
      const c = processCpu(p, this.tickUs)
      total.user += c.user
      total.system += c.system
      total.rss += c.rss
    }
    return total
  }

  /** Requests nginx has served (stub_status counts the status request itself), or 0 when it has no stub_status. */
  private async served(): Promise<number> {
    if (!this.withStatus) return 0
    const text = await (await fetch(this.url + STATUS_PATH)).text()
    return Number(/\n\s*\d+\s+\d+\s+(\d+)/.exec(text)?.[1] ?? 0)
  }

  /** Whether stop() counts requests; without stub_status the caller takes autocannon's count. */
  get countsRequests(): boolean {
    return this.withStatus
  }

  async start(): Promise<void> {
    const requests = await this.served()
    const { user, system } = this.cpu()
    this.base = { user, system, wall: process.hrtime.bigint(), requests }
  }

  async stop(): Promise<Counters> {
    const { user, system, rss } = this.cpu()
    const wallUs = Number(process.hrtime.bigint() - this.base.wall) / 1e3
    // The status request of start() is counted in the later reading, and this one in its own.
    const requests = this.withStatus ? (await this.served()) - this.base.requests - 1 : 0
    return {
      cpuUserUs: user - this.base.user, cpuSystemUs: system - this.base.system, wallUs, requests,
      originCalls: 0, originTotal: 0, rssBytes: rss,
    }
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()))
      this.child.kill('SIGTERM')
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
      await gone
      clearTimeout(timer)
    }
    fs.rmSync(this.dir, { recursive: true, force: true })
  }
}
