#!/usr/bin/env node
// Builds the optional native addon (native/build/Release/spillway.node).
//
// Runs as the package's `install` script, so it must never fail the install:
// on a machine without a compiler or Node headers spillway still works on the
// pure-TypeScript pread backend, and we say so loudly instead of exiting 1.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const nativeDir = join(root, 'native')
const isWindows = process.platform === 'win32'

/** [command, leading args] for the first node-gyp we can find. */
function findNodeGyp() {
  const local = join(root, 'node_modules', '.bin', isWindows ? 'node-gyp.cmd' : 'node-gyp')
  if (existsSync(local)) {
    // Run the JS entry with this node rather than via its shebang, which
    // needs `node` on PATH (and a shell on Windows).
    const target = realpathSync(local)
    return target.endsWith('.js') ? [process.execPath, [target]] : [local, []]
  }
  // Set by npm for lifecycle scripts: the node-gyp npm bundles, so installs
  // as a dependency (without our devDependencies) still build offline.
  const bundled = process.env.npm_config_node_gyp
  if (bundled && existsSync(bundled)) return [process.execPath, [bundled]]
  return [isWindows ? 'npm.cmd' : 'npm', ['exec', '--', 'node-gyp']]
}

/**
 * node-gyp downloads headers unless told where they are. Run outside npm, the
 * user's `nodedir` from .npmrc is not in the environment, so fall back to the
 * headers installed next to this node binary when their version matches.
 */
function nodedirArgs() {
  if (process.env.npm_config_nodedir || process.env.npm_package_config_node_gyp_nodedir) return []
  if (process.argv.some((arg) => arg.startsWith('--nodedir'))) return []
  const prefix = resolve(dirname(process.execPath), '..')
  try {
    const header = readFileSync(join(prefix, 'include', 'node', 'node_version.h'), 'utf8')
    const part = (name) => header.match(new RegExp(`#define NODE_${name}_VERSION (\\d+)`))?.[1]
    const version = `v${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}`
    if (version === process.version) return [`--nodedir=${prefix}`]
  } catch {
    // No local headers: let node-gyp fetch them.
  }
  return []
}

function warnFallback(reason) {
  const line = '-'.repeat(72)
  console.warn(
    `\n${line}\n` +
      `spillway: could not build the native mmap addon (${reason}).\n` +
      'spillway will use the pure-TypeScript pread backend: it works, but each\n' +
      'mapping is a private copy (no cross-process or cross-thread sharing,\n' +
      'no cross-process locks). Install a C++17 compiler, Python 3 and make,\n' +
      'then run `npm rebuild spillway` to get the mmap backend.\n' +
      `${line}\n`,
  )
}

if (!existsSync(join(nativeDir, 'binding.gyp'))) {
  warnFallback('native/binding.gyp is missing')
  process.exit(0)
}

const [command, leading] = findNodeGyp()
const args = [...leading, 'rebuild', ...nodedirArgs(), ...process.argv.slice(2)]
const result = spawnSync(command, args, { cwd: nativeDir, stdio: 'inherit', shell: isWindows })

if (result.error) {
  warnFallback(`could not run node-gyp: ${result.error.message}`)
} else if (result.status !== 0) {
  warnFallback(result.signal ? `node-gyp killed by ${result.signal}` : `node-gyp exited with ${result.status}`)
}
process.exit(0)
