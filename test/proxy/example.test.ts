/**
 * examples/proxy/demo.js, run for real as a user would run it: the proxy
 * command in front of the slow origin. Its claims: miss, miss (stored),
 * hit, a clean exit on SIGTERM, and a hit after the restart, with two
 * origin calls in all.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.js'

const DEMO = fileURLToPath(new URL('../../examples/proxy/demo.js', import.meta.url))

describe('examples/proxy', () => {
  it('shows a miss, a hit, and a hit after restarting the proxy', { timeout: 120_000 }, async () => {
    const child = spawn(process.execPath, [DEMO, '--json'], { env: { ...process.env, SPILLWAY_DIR: tempDir('proxy-example') }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString() })
    const [code] = await once(child, 'exit') as [number]
    assert.equal(code, 0, err)
    const figures = JSON.parse(out.trim().split('\n').at(-1)!) as { originCalls: number; cacheStatus: string[]; firstExitCode: number }
    assert.equal(figures.originCalls, 2)
    assert.equal(figures.firstExitCode, 0)
    assert.match(figures.cacheStatus[0], /fwd=uri-miss/)
    assert.match(figures.cacheStatus[1], /fwd=uri-miss/)
    assert.match(figures.cacheStatus[2], /; hit/)
    assert.match(figures.cacheStatus[3], /; hit/)
  })
})
