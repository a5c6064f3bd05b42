import fs from 'node:fs'

/**
 * Writes a line to stdout synchronously, so a child's report is in the pipe
 * before its next step starts (and before a SIGKILL can land after that
 * step). The pipe is non-blocking: when the parent falls behind, wait for
 * room rather than drop the line.
 */
export function printLine(line: string): void {
  const bytes = Buffer.from(`${line}\n`)
  for (let done = 0; done < bytes.length;) {
    try {
      done += fs.writeSync(1, bytes, done)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
    }
  }
}
