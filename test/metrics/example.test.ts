/**
 * examples/metrics/server.js, run as a user would run it: its own /metrics,
 * scraped after two misses and two hits, says so, and agrees with stats().
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'

const SERVER = fileURLToPath(new URL('../../examples/metrics/server.js', import.meta.url))

describe('examples/metrics', () => {
  it('serves /metrics with the two misses and two hits it made, equal to cache.stats()', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, [SERVER, '--demo-only', '--json'], {
      env: { ...process.env, SPILLWAY_DIR: tempDir('metrics-example'), PORT: '0' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    const [code] = await once(child, 'exit') as [number]
    assert.equal(code, 0, out)
    const figures = JSON.parse(out.trim().split('\n').at(-1)!) as { statuses: string[]; responses: Record<string, number>; originFetches: number; stats: Record<string, number> }
    assert.deepEqual(figures.statuses.map((s) => /; hit/.test(s)), [false, false, true, true])
    assert.deepEqual(figures.responses, { hit: 2, stale: 0, revalidated: 0, miss: 2, bypass: 0, error: 0 })
    assert.deepEqual(figures.responses, figures.stats)
    assert.equal(figures.originFetches, 2)
  })
})
