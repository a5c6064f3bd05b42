import { createHash } from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** A file the dashboard serves, read once. */
export interface Asset {
  body: Buffer
  type: string
  /** A strong validator of the body (RFC 9110 §8.8.3), for If-None-Match. */
  etag: string
}

/** The page's own files, beside the TypeScript in the package (tsc copies none of them, so they ship from here). */
const PAGE_DIR = 'middleware/dashboard/page'
const JS = 'text/javascript; charset=utf-8'
const CSS = 'text/css; charset=utf-8'

/**
 * Every file the dashboard serves, by the name it is served under: a fixed
 * table, so no part of a request's path ever reaches the filesystem.
 * uPlot comes from the installed `uplot` package (no CDN: the page works
 * offline), found the way Node finds a dependency, wherever spillway is
 * installed.
 */
const FILES: Record<string, { file: () => string; type: string }> = {
  'index.html': { file: () => pageFile('index.html'), type: 'text/html; charset=utf-8' },
  'dashboard.js': { file: () => pageFile('dashboard.js'), type: JS },
  'charts.js': { file: () => pageFile('charts.js'), type: JS },
  'format.js': { file: () => pageFile('format.js'), type: JS },
  'dashboard.css': { file: () => pageFile('dashboard.css'), type: CSS },
  'uPlot.iife.min.js': { file: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'), type: JS },
  'uPlot.min.css': { file: () => createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'), type: CSS },
}

let loaded: Map<string, Asset> | undefined

/** The asset served as `name`, or undefined for any name not in the table. */
export function assetNamed(name: string): Asset | undefined {
  if (!Object.hasOwn(FILES, name)) return undefined
  loaded ??= loadAll()
  return loaded.get(name)
}

/** Reads every file at once, at the first request: a missing one is a broken install, said plainly. */
function loadAll(): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  for (const [name, { file, type }] of Object.entries(FILES)) {
    const at = file()
    let body: Buffer
    try {
      body = fs.readFileSync(at)
    } catch (err) {
      throw new Error(`spillway dashboard: cannot read ${at} (${(err as Error).message}); the package is installed incompletely`)
    }
    assets.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` })
  }
  return assets
}

/**
 * A file of the page directory, found from this module up: it runs from
 * `dist/middleware/dashboard/` when built (and installed), or from
 * `middleware/dashboard/` under a TypeScript loader.
 */
function pageFile(name: string): string {
  const here = path.dirname(fileURLToPath(import.meta.url))
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, PAGE_DIR, name)
    if (fs.existsSync(candidate)) return candidate
    if (path.dirname(dir) === dir) return path.join(here, '..', '..', '..', PAGE_DIR, name)
  }
}
