/**
 * Headless Chromium for the page tests, driven by playwright-core: the
 * browser named by SPILLWAY_CHROMIUM, else /usr/bin/chromium (Debian's
 * `chromium` package), else `chromium` on the PATH. Where there is none,
 * the tests skip and say so.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export type Found = { executable: string } | { skip: string }

export function findChromium(): Found {
  const named = process.env.SPILLWAY_CHROMIUM
  if (named !== undefined && named !== '') {
    return isExecutable(named) ? { executable: named } : { skip: `SPILLWAY_CHROMIUM=${named} is not an executable file` }
  }
  if (isExecutable('/usr/bin/chromium')) return { executable: '/usr/bin/chromium' }
  const which = spawnSync('which', ['chromium'], { encoding: 'utf8' })
  const onPath = which.status === 0 ? which.stdout.trim() : ''
  if (onPath !== '' && isExecutable(onPath)) return { executable: onPath }
  return { skip: 'no Chromium: set SPILLWAY_CHROMIUM or apt-get install chromium' }
}

export function launch(executable: string): Promise<Browser> {
  return chromium.launch({ executablePath: executable, args: ['--no-sandbox', '--headless=new'], timeout: 180_000 })
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK)
    return fs.statSync(file).isFile()
  } catch {
    return false
  }
}
