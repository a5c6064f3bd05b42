/**
 * examples/argo/server.js, run for real as a user would run it: argo with
 * the plugin in front of a slow origin, a miss then a hit. Its claims: the
 * first request reaches the origin, the second is a hit the origin never
 * sees, and both bodies are the one the origin built.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'

const SERVER = fileURLToPath(new URL('../../examples/argo/server.js', import.meta.url))

describe('examples/argo', () => {
  it('shows a miss that reaches the slow origin, then a hit that does not', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [SERVER, '--demo-only', '--json'], {
      env: { ...process.env, SPILLWAY_DIR: tempDir('argo-example') },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const [code] = await once(child, 'exit') as [number]
    assert.equal(code, 0, out)
    const figures = JSON.parse(out.trim().split('\n').at(-1)!) as {
      steps: Array<{ status: number; cacheStatus: string; body: string; originCallsSoFar: number }>
      originCalls: number
      stats: { hits: number; misses: number; stored: number }
    }
    const [miss, hit] = figures.steps
    assert.equal(miss.status, 200)
    assert.match(miss.cacheStatus, /fwd=uri-miss/)
    assert.equal(miss.originCallsSoFar, 1)
    assert.equal(hit.status, 200)
    assert.match(hit.cacheStatus, /hit/)
    assert.equal(hit.originCallsSoFar, 1, 'the hit never reached the origin')
    assert.equal(hit.body, miss.body)
    assert.match(miss.body, /"builtAt"/)
    assert.equal(figures.originCalls, 1)
    assert.deepEqual([figures.stats.hits, figures.stats.misses, figures.stats.stored], [1, 1, 1])
  })
})
