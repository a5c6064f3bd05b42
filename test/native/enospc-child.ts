/**
 * Run by mapping.test.ts inside `unshare -rm` with a 1 MiB tmpfs mounted at
 * <dir>: tries to allocate 8 MiB with the backend named on its command line
 * and prints what happened.
 */
import * as fs from 'node:fs'
import { mappingFor, type BackendName } from '../../src/native.js'

function run(dir: string, name: BackendName): void {
  const seen: Record<string, unknown> = {}
  const fd = fs.openSync(`${dir}/${name}`, 'w+')
  try {
    mappingFor(name).allocate(fd, 0, 8 << 20)
    seen[name] = { allocated: true }
  } catch (err) {
    const { code, syscall } = err as NodeJS.ErrnoException
    seen[name] = { code, syscall, sizeAfter: fs.fstatSync(fd).size }
  }
  fs.closeSync(fd)
  process.stdout.write(JSON.stringify(seen) + '\n')
}

// `node --test dist/test/` runs every .js under a directory named "test";
// started that way, without a directory argument, there is nothing to do.
const [dir, backend] = process.argv.slice(2)
if (dir !== undefined && backend !== undefined) run(dir, backend as BackendName)
