/**
 * The server side of a bench/lib/http-child.ts ServerProcess: listens on
 * 127.0.0.1:0, counts the requests it receives and, between the parent's
 * `start` and `stop` messages, measures its own CPU (process.cpuUsage(),
 * every thread of the process) and wall time, and the origin calls the
 * configuration reports through `originCalls()`.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Command, ServerMessage } from './http-common.js'

const send = (msg: ServerMessage): void => { process.send?.(msg) }

/** Serves `handler` and answers the parent's messages; `banner` is printed when run by hand. */
export async function serveMeasured(handler: http.RequestListener, originCalls: () => number, banner: (url: string) => string): Promise<void> {
  let requests = 0
  let originAtStart = 0
  const server = http.createServer(handler)
  server.on('request', () => { requests++ })
  server.keepAliveTimeout = 60_000
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo

  let cpuBase = process.cpuUsage()
  let wallBase = process.hrtime.bigint()
  process.on('message', (msg: Command) => {
    if (msg.cmd === 'start') {
      requests = 0
      originAtStart = originCalls()
      wallBase = process.hrtime.bigint()
      cpuBase = process.cpuUsage()
      send({ type: 'started' })
    } else if (msg.cmd === 'stop') {
      const cpu = process.cpuUsage(cpuBase)
      const originTotal = originCalls()
      send({
        type: 'stopped', cpuUserUs: cpu.user, cpuSystemUs: cpu.system,
        wallUs: Number(process.hrtime.bigint() - wallBase) / 1e3, requests,
        originCalls: originTotal - originAtStart, originTotal, rssBytes: process.memoryUsage.rss(),
      })
    }
  })
  // The parent going away closes the channel: nothing left to serve.
  process.on('disconnect', () => process.exit(0))
  if (process.send === undefined) console.log(banner(`http://127.0.0.1:${port}`))
  send({ type: 'ready', port })
}
