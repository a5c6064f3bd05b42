/**
 * `spillway proxy`: the caching reverse proxy (middleware/proxy.ts) in front
 * of one origin, until SIGINT or SIGTERM shut it down gracefully.
 */
import fs from 'node:fs'
import path from 'node:path'
import tls from 'node:tls'
import type { Command } from 'commander'
import { createCachingProxy, type ProxyOptions } from '../proxy.js'
import { USAGE_ERROR } from './exit-codes.js'
import { logRequests } from './request-log.js'
import { parseDuration, parsePort, parseSize } from './units.js'

const JOURNAL_BYTES = 64 * 2 ** 20
const PAGE = 4096

interface ProxyFlags {
  target: string
  port: number
  dir: string
  host: string
  maxHeap?: number
  maxDisk?: number
  ttl?: number
  log?: boolean
  connectTimeout?: number
  headersTimeout?: number
  bodyTimeout?: number
  ca?: string
  preserveHost?: boolean
  dashboard?: string
}

/** Adds `spillway proxy` to the program. */
export function addProxyCommand(program: Command): Command {
  return program.command('proxy')
    .description('a caching reverse proxy in front of one origin (hits from the cache, misses forwarded and stored per RFC 9111)')
    .requiredOption('--target <url>', 'the origin, an http: or https: URL')
    .option('--port <n>', 'port to listen on (0: any free one)', parsePort, 8080)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--dir <dir>', 'cache directory', '.cache/proxy')
    .option('--max-heap <size>', 'bytes of responses kept decoded in memory, e.g. 64MiB (default 64MiB)', parseSize)
    .option('--max-disk <size>', 'bytes of journals on disk, e.g. 1GiB (default 1GiB)', parseSize)
    .option('--ttl <duration>', 'freshness for responses that state none: seconds, or 250ms, 30s, 5m, 1h, 1d (default: such responses are not stored)', parseDuration)
    .option('--log', 'one line per request on stdout: method, URL, status, cache outcome, milliseconds')
    .option('--connect-timeout <duration>', 'time to connect to the origin before a 504 (default 10s)', parseDuration)
    .option('--headers-timeout <duration>', 'time for the origin\'s response head before a 504 (default 60s)', parseDuration)
    .option('--body-timeout <duration>', 'longest pause inside the origin\'s body before the response is cut (default 60s)', parseDuration)
    .option('--ca <file>', 'PEM certificate(s) to trust for an https: target, besides Node\'s own')
    .option('--preserve-host', 'send the client\'s Host to the origin instead of the target\'s')
    .option('--dashboard <path>', 'serve the live dashboard at this path instead of forwarding it, e.g. /_spillway')
    .action(runProxy)
}

async function runProxy(flags: ProxyFlags, command: Command): Promise<void> {
  const dir = path.resolve(flags.dir)
  const options: ProxyOptions = {
    target: flags.target,
    dir,
    maxHeapBytes: flags.maxHeap,
    maxDiskBytes: flags.maxDisk,
    // A small disk budget gets smaller journals: the store needs room for three.
    journalBytes: flags.maxDisk === undefined ? undefined : Math.max(64 * 1024, Math.min(JOURNAL_BYTES, Math.floor(flags.maxDisk / 3 / PAGE) * PAGE)),
    ttl: flags.ttl,
    connectTimeoutMs: flags.connectTimeout,
    headersTimeoutMs: flags.headersTimeout,
    bodyTimeoutMs: flags.bodyTimeout,
    preserveHost: flags.preserveHost === true,
    dashboard: flags.dashboard ?? false,
  }
  if (flags.ca !== undefined) {
    let pem: string
    try {
      pem = fs.readFileSync(flags.ca, 'utf8')
    } catch (err) {
      command.error(`error: --ca ${flags.ca}: ${(err as Error).message}`, { exitCode: USAGE_ERROR })
    }
    options.tls = { ca: [...tls.rootCertificates, pem] }
  }
  for (const [name, value] of Object.entries(options)) if (value === undefined) delete (options as unknown as Record<string, unknown>)[name]
  let proxy: ReturnType<typeof createCachingProxy>
  try {
    proxy = createCachingProxy(options)
  } catch (err) {
    // A bad option value (the target URL, a timeout out of range): usage.
    command.error(`error: ${(err as Error).message}`, { exitCode: USAGE_ERROR })
  }
  try {
    await proxy.ready
  } catch (err) {
    console.error(`spillway proxy: the cache in ${dir} could not be opened: ${(err as Error).message}`)
    await proxy.close().catch(() => {})
    process.exit(1)
  }
  const listening = await proxy.listen(flags.port, flags.host).catch(async (err: Error) => {
    console.error(`spillway proxy: cannot listen on ${flags.host}:${flags.port}: ${err.message}`)
    await proxy.close().catch(() => {})
    process.exit(1)
  })
  if (flags.log === true) logRequests(listening.server, (line) => process.stdout.write(`${line}\n`))
  console.log(`spillway proxy listening on ${listening.url}, forwarding to ${new URL(flags.target).origin}, cache in ${dir}`)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`spillway proxy: ${signal} again, exiting at once`)
      process.exit(1)
    }
    stopping = true
    // Said once the listening socket is closed (close() does that before its first await): a client told so is refused.
    const closed = listening.close()
    console.error(`spillway proxy: ${signal}, finishing the requests under way`)
    closed.then(() => {
      console.error('spillway proxy: stopped')
      process.exit(0)
    }, (err: Error) => {
      console.error(`spillway proxy: shutdown failed: ${err.message}`)
      process.exit(1)
    })
  }
  process.on('SIGINT', () => stop('SIGINT'))
  process.on('SIGTERM', () => stop('SIGTERM'))
}
