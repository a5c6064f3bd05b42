/**
 * `node dist/examples/proxy/demo.js`: the caching reverse proxy in front of
 * a slow origin, started the way a user starts it, with the `spillway
 * proxy` command. It shows a miss, a second miss that stores the URL
 * (admission 'second-hit'), a hit, and a hit after the proxy restarts on the
 * same cache directory (.cache/proxy-demo, or SPILLWAY_DIR). --json prints
 * the figures as one JSON line.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import http from 'node:http'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ORIGIN_DELAY_MS, startOrigin } from './origin.js'

const COMMAND = fileURLToPath(new URL('../../middleware/cli/spillway.js', import.meta.url))
const dir = path.resolve(process.env.SPILLWAY_DIR ?? '.cache/proxy-demo')
const json = process.argv.includes('--json')
const log = (line: string) => { if (!json) console.log(line) }

/** Runs `spillway proxy` and resolves with its URL once it prints where it listens. */
function startProxy(target: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [COMMAND, 'proxy', '--target', target, '--port', '0', '--dir', dir], { stdio: ['ignore', 'pipe', 'inherit'] })
  return new Promise((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /listening on (http:\/\/\S+?),/.exec(out)
      if (m !== null) resolve({ child, url: m[1] })
    })
    child.once('exit', (code) => reject(new Error(`spillway proxy exited with code ${code}`)))
  })
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve(code))
    child.kill('SIGTERM')
  })
}

/** A GET with a fixed Host (the cache key holds it, and the restarted proxy has another port). */
function timedGet(url: string): Promise<{ ms: number; cacheStatus: string }> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false, headers: { host: 'reports.example' } }, (res) => {
      res.resume()
      res.on('end', () => resolve({ ms: Math.round(performance.now() - started), cacheStatus: String(res.headers['cache-status']) }))
    }).on('error', reject)
  })
}

const origin = await startOrigin()
// A URL no earlier run has cached.
const report = `/report?run=${Date.now()}`
log(`spillway proxy demo: origin ${origin.url} (GET /report takes ${ORIGIN_DELAY_MS} ms), cache in ${dir}`)
let proxy = await startProxy(origin.url)
log(`proxy on ${proxy.url}; GET ${report}:`)
const results = []
for (const note of ['miss', 'miss: stored (the URL\'s second miss)', 'hit']) {
  const r = await timedGet(proxy.url + report)
  results.push(r)
  log(`  ${String(r.ms).padStart(4)} ms  ${r.cacheStatus}   <- ${note}`)
}
const exitCode = await stop(proxy.child)
log(`proxy stopped (exit code ${exitCode}) and restarted:`)
proxy = await startProxy(origin.url)
const afterRestart = await timedGet(proxy.url + report)
results.push(afterRestart)
log(`  ${String(afterRestart.ms).padStart(4)} ms  ${afterRestart.cacheStatus}   <- hit after the restart, from disk`)
await stop(proxy.child)
await origin.close()
if (json) console.log(JSON.stringify({ originCalls: origin.calls(), cacheStatus: results.map((r) => r.cacheStatus), firstExitCode: exitCode }))
