/**
 * `cache.ready`: an app that awaits it before taking traffic gets the cache
 * on its first request instead of a pass-through; a store that cannot open
 * rejects it with the store's typed error; and an app that never looks at it
 * is never crashed by its rejection. On every front end.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { describe, it } from 'node:test'
import { openStore, SpillwayError } from '../../src/index.js'
import { httpCache } from '../../middleware/express.js'
import { FRONT_ENDS, startOn } from '../helpers/http-apps.js'
import { rawRequest } from '../helpers/raw-http.js'
import { tempDir } from '../helpers/temp-dir.js'

/** A path where no store can open: a file stands where its directory should be. */
function fileInTheWay(): string {
  const file = path.join(tempDir('ready'), 'not-a-directory')
  fs.writeFileSync(file, 'x')
  return file
}

const cached = (_req: IncomingMessage, res: ServerResponse, n: number) => {
  res.setHeader('cache-control', 'max-age=60')
  res.end(`a${n}`)
}

for (const framework of FRONT_ENDS) describe(`cache.ready (${framework})`, () => {
  it('resolves once the store is open, so the first request after it is looked up and the second is a hit', async () => {
    const app = await startOn(framework)({ '/a': cached }, {}, { wait: false })
    await app.cache.ready
    const first = await rawRequest(`${app.url}/a`)
    assert.equal(first.headers['cache-status'], 'spillway; fwd=uri-miss', 'looked up and missed, not "store not ready"')
    const second = await rawRequest(`${app.url}/a`)
    assert.match(String(second.headers['cache-status']), /^spillway; hit/)
    assert.equal(second.body.toString(), 'a1')
    assert.equal(app.originCalls('/a'), 1)
  })

  it('rejects with the store\'s typed error when the store cannot open, and requests still pass through', async () => {
    const app = await startOn(framework)({ '/a': cached }, { dir: fileInTheWay() }, { wait: false })
    await assert.rejects(app.cache.ready, (err: unknown) => {
      assert.ok(err instanceof SpillwayError, String(err))
      assert.equal(err.code, 'ERR_NOT_A_DIRECTORY')
      return true
    })
    const res = await rawRequest(`${app.url}/a`)
    assert.equal(res.status, 200)
    assert.equal(res.headers['cache-status'], 'spillway; fwd=bypass; detail="store failed to open: ERR_NOT_A_DIRECTORY"')
    assert.equal(app.originCalls('/a'), 1)
  })
})

describe('cache.ready with a bad store option', () => {
  it('rejects with the store\'s TypeError, which names the option', async () => {
    const cache = httpCache({ dir: tempDir('ready-bad-option'), maxDiskBytes: 1024 })
    await assert.rejects(cache.ready, (err: unknown) => err instanceof TypeError && err.message.startsWith('Store options.maxDiskBytes must be'))
    await cache.close()
  })
})

describe('cache.ready with a store given', () => {
  it('resolves at once: the store is open already', async () => {
    const store = await openStore({ dir: tempDir('ready-store') })
    const cache = httpCache({ store })
    await cache.ready
    await cache.close()
    assert.equal(store.has('anything'), false, 'the given store stays open after the cache closes')
    await store.close()
  })
})

describe('cache.ready left alone', () => {
  it('never crashes a process with an unhandled rejection when the store cannot open, on any front end', async () => {
    const dir = fileInTheWay()
    const module = (file: string) => JSON.stringify(new URL(`../../middleware/${file}`, import.meta.url).href)
    // Each front end's open fails; the process goes on until each has said so (a process warning each), then
    // exits 0 by itself. An unhandled rejection would end it first, with code 1.
    const script = `
      const { httpCache } = await import(${module('express.js')})
      const { argoCache } = await import(${module('argo.js')})
      const { createCachingProxy } = await import(${module('proxy.js')})
      let warnings = 0
      process.on('warning', (w) => {
        if (!/spillway/.test(w.message)) return
        if (++warnings === 3) setImmediate(() => setImmediate(() => { console.log('settled'); process.exit(0) }))
      })
      const dir = ${JSON.stringify(dir)}
      httpCache({ dir })
      argoCache({ dir })
      createCachingProxy({ dir, target: 'http://127.0.0.1:1' })
    `
    const child = spawn(process.execPath, ['--input-type=module', '--unhandled-rejections=strict', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => { stdout += chunk })
    child.stderr.on('data', (chunk) => { stderr += chunk })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    assert.equal(code, 0, stderr)
    assert.equal(stdout.trim(), 'settled')
    assert.doesNotMatch(stderr, /unhandled/i)
  })
})
