/**
 * Child process for mapping.test.ts: takes or probes an flock on a file so
 * the parent can check locking across processes.
 *   lock-child.js <file> hold   → locks exclusive, prints "locked", holds
 *                                  until stdin closes
 *   lock-child.js <file> probe  → prints "acquired" or "blocked"
 */
import * as fs from 'node:fs'
import { mappingFor } from '../../src/native.js'

function run(file: string, action: string): void {
  const api = mappingFor('mmap')
  const fd = fs.openSync(file, 'r+')
  if (action === 'probe') {
    process.stdout.write(api.lock(fd, 'exclusive') ? 'acquired\n' : 'blocked\n')
    return
  }
  if (!api.lock(fd, 'exclusive')) throw new Error('lock-child: could not take the lock')
  process.stdout.write('locked\n')
  process.stdin.resume()
  process.stdin.on('end', () => process.exit(0))
}

// `node --test dist/test/` runs every .js under a directory named "test";
// started that way, without arguments, there is nothing to do.
const [file, action] = process.argv.slice(2)
if (file !== undefined && action !== undefined) run(file, action)
