import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'

/** A fresh real directory, removed when the test file finishes. */
export function tempDir(label = 'test'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-${label}-`))
  after(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}
