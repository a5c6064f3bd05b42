#!/usr/bin/env node
/**
 * Writes the API reference, docs/api/, as markdown from the TSDoc of the
 * package's public entry points: every `exports` entry of package.json
 * whose source exists, so an entry point added there is documented without
 * touching this script. `npm run docs:api`; the output is committed, so the
 * published package ships it and nothing builds it at install.
 *
 * TypeDoc reads TypeScript through the compiler's JavaScript API, which
 * TypeScript 7 (native, the project's compiler) no longer has, and its peer
 * range ends at 6.0: so it runs through npx with its own TypeScript 5.9,
 * pinned below, apart from the project's node_modules. The project's build
 * and `npm test` never run it.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const TYPEDOC = 'typedoc@0.28.20'
const MARKDOWN = 'typedoc-plugin-markdown@4.14.1'
const TYPESCRIPT = 'typescript@5.9.3'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))

/** `./dist/src/index.d.ts` → `src/index.ts`, when that source exists. */
const entryPoints = Object.values(pkg.exports)
  .map((target) => (typeof target === 'object' ? target.types : undefined))
  .filter((types) => typeof types === 'string')
  .map((types) => types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '.ts'))
  .filter((source) => fs.existsSync(path.join(root, source)))

const out = path.join(root, 'docs', 'api')
fs.rmSync(out, { recursive: true, force: true })
const args = [
  '-y', '-p', TYPEDOC, '-p', MARKDOWN, '-p', TYPESCRIPT,
  'typedoc',
  '--plugin', 'typedoc-plugin-markdown',
  '--plugin', path.join(root, 'scripts', 'typedoc-module-names.mjs'),
  '--outputFileStrategy', 'modules',
  '--tsconfig', 'tsconfig.docs.json',
  '--out', out,
  '--readme', 'none',
  '--name', `${pkg.name} ${pkg.version}`,
  '--excludePrivate', '--excludeInternal', '--excludeExternals',
  '--hidePageHeader', '--hideBreadcrumbs',
  '--disableSources',
  // TypeScript 5.9 checks what TypeScript 7 built: documentation only, not a second type check.
  '--skipErrorChecking',
  ...entryPoints.flatMap((entry) => ['--entryPoints', entry]),
]
console.log(`documenting ${entryPoints.join(', ')}`)
const run = spawnSync('npx', args, { cwd: root, stdio: 'inherit' })
process.exit(run.status ?? 1)
