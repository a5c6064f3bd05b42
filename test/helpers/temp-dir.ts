import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after } from 'node:test'

/** A fresh real directory, removed when the test file finishes. */
export function tempDir(label = 'test'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `spillway-${label}-`))
  // Retried: a JournalDir closed by the test may still be removing the temporary file of a next
  // journal it was preparing (the removal is asynchronous; the file is never linked into place).
  after(() => fs.rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 }))
  return dir
}
