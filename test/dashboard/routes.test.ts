/**
 * What the dashboard serves besides its event stream: the page and its
 * files, each with its content type and a strict Content-Security-Policy;
 * nothing outside its fixed table of files, however the path is spelled;
 * and files shipped in the package, uPlot included (no CDN).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import connect from 'connect'
import { httpCache } from '../../middleware/express.js'
import { tempDir } from '../helpers/temp-dir.js'
import { startDashboardApp } from './dashboard-app.js'

/** `listener` on port 0 until the test file ends; its base URL. */
async function serve(listener: http.RequestListener, close: () => Promise<void>): Promise<string> {
  const server = http.createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  after(async () => {
    await close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Sends `target` exactly as written (fetch would normalise '..' away), and returns the status line's code and the head. */
async function rawGet(url: string, target: string): Promise<{ status: number; head: string }> {
  const { hostname, port } = new URL(url)
  const socket = net.connect(Number(port), hostname)
  socket.end(`GET ${target} HTTP/1.1\r\nhost: ${hostname}:${port}\r\nconnection: close\r\n\r\n`)
  let text = ''
  for await (const chunk of socket) text += chunk.toString('latin1')
  const head = text.slice(0, text.indexOf('\r\n\r\n'))
  return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head }
}

describe('the page and its files', () => {
  it('serves the page as HTML with a strict CSP, and its files with their types', async () => {
    const app = await startDashboardApp()
    const page = await fetch(app.dashboardUrl)
    assert.equal(page.status, 200)
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8')
    const csp = page.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'none'/)
    assert.match(csp, /script-src 'self'(;|$)/, 'scripts from the page\'s origin only: no inline script, no eval')
    assert.match(csp, /connect-src 'self'/)
    assert.match(csp, /frame-ancestors 'none'/)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/)
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(page.headers.get('cache-control'), 'no-store')
    const html = await page.text()
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file')
    assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style')
    assert.doesNotMatch(html, /https?:\/\//, 'nothing from elsewhere')
    for (const [file, type] of [
      ['dashboard.js', 'text/javascript; charset=utf-8'],
      ['charts.js', 'text/javascript; charset=utf-8'],
      ['format.js', 'text/javascript; charset=utf-8'],
      ['uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
      ['dashboard.css', 'text/css; charset=utf-8'],
      ['uPlot.min.css', 'text/css; charset=utf-8'],
    ]) {
      assert.ok(html.includes(`assets/${file}`) || ['charts.js', 'format.js'].includes(file), `the page links ${file}`)
      const res = await fetch(`${app.dashboardUrl}assets/${file}`)
      assert.equal(res.status, 200, file)
      assert.equal(res.headers.get('content-type'), type, file)
      assert.ok(res.headers.get('content-security-policy'), file)
      assert.equal(res.headers.get('cache-control'), 'private, no-cache', `${file}: no shared cache keeps it`)
      const body = Buffer.from(await res.arrayBuffer())
      assert.equal(Number(res.headers.get('content-length')), body.byteLength)
      const again = await fetch(`${app.dashboardUrl}assets/${file}`, { headers: { 'if-none-match': res.headers.get('etag')! } })
      assert.equal(again.status, 304, `${file} revalidates`)
    }
  })

  it('serves uPlot from the installed uplot package, byte for byte', async () => {
    const app = await startDashboardApp()
    const served = Buffer.from(await (await fetch(`${app.dashboardUrl}assets/uPlot.iife.min.js`)).arrayBuffer())
    assert.deepEqual(served, fs.readFileSync(path.join(ROOT, 'node_modules/uplot/dist/uPlot.iife.min.js')))
  })

  it('redirects the mount point to its "/", relatively, since the page\'s links are relative', async () => {
    const app = await startDashboardApp()
    const res = await fetch(`${app.url}/_spillway?x=1`, { redirect: 'manual' })
    assert.equal(res.status, 301)
    assert.equal(res.headers.get('location'), './_spillway/')
  })

  it('refuses every path outside its table of files, traversals included: 404, and no file content', async () => {
    const app = await startDashboardApp()
    const secret = fs.readFileSync(path.join(ROOT, 'package.json'), 'latin1').slice(0, 40)
    for (const target of [
      '/_spillway/assets/../../package.json',
      '/_spillway/assets/..%2f..%2f..%2fpackage.json',
      '/_spillway/assets/%2e%2e/%2e%2e/package.json',
      '/_spillway/assets/..\\..\\package.json',
      '/_spillway/assets/index.html/../../../package.json',
      '/_spillway/assets/',
      '/_spillway/assets/constructor',
      '/_spillway/assets/__proto__',
      '/_spillway/assets//etc/passwd',
      '/_spillway/assets/%2fetc%2fpasswd',
      '/_spillway/assets/dashboard.ts',
      '/_spillway/nothing-here',
    ]) {
      const { status, head } = await rawGet(app.url, target)
      // Express may answer a path it normalises itself with its own 404: either way not 200.
      assert.equal(status, 404, `${target}: ${head}`)
    }
    const res = await fetch(`${app.dashboardUrl}assets/..%2f..%2f..%2fpackage.json`)
    assert.ok(!(await res.text()).includes(secret))
  })

  it('answers other methods with 405 and Allow', async () => {
    const app = await startDashboardApp()
    const res = await fetch(`${app.dashboardUrl}events`, { method: 'POST', body: 'x' })
    assert.equal(res.status, 405)
    assert.equal(res.headers.get('allow'), 'GET, HEAD')
  })

  it('ships its files in the package: package.json "files" covers the page directory', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; dependencies: Record<string, string> }
    for (const file of fs.readdirSync(path.join(ROOT, 'middleware/dashboard/page'))) {
      const shipped = pkg.files.some((entry) => `middleware/dashboard/page/${file}`.startsWith(`${entry.replace(/\/$/, '')}/`))
      assert.ok(shipped, `middleware/dashboard/page/${file} is in "files"`)
    }
    assert.ok(pkg.dependencies.uplot, 'uplot is a dependency, not a devDependency: the page needs it at run time')
  })

  it('mounts in Connect and as a node:http listener of its own, the same routes', async () => {
    const cache = httpCache({ dir: tempDir('dashboard-connect') })
    const app = connect()
    app.use('/ops/_spillway', cache.dashboard())
    const mounted = await serve(app, () => cache.close())
    const redirect = await fetch(`${mounted}/ops/_spillway`, { redirect: 'manual' })
    assert.equal(redirect.headers.get('location'), './_spillway/')
    assert.equal((await fetch(`${mounted}/ops/_spillway/`)).headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal((await fetch(`${mounted}/ops/_spillway/assets/dashboard.css`)).headers.get('content-type'), 'text/css; charset=utf-8')

    const alone = await serve(cache.dashboard(), async () => {})
    assert.equal((await fetch(`${alone}/`)).headers.get('content-type'), 'text/html; charset=utf-8')
    assert.equal((await fetch(`${alone}/assets/format.js`)).status, 200)
    assert.equal((await fetch(`${alone}/other`)).status, 404)
  })
})
