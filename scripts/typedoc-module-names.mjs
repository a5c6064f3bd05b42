/**
 * A TypeDoc plugin for scripts/api-docs.mjs: names each module by the
 * specifier a user imports it with (`spillway/express`), read from the
 * `exports` of package.json, instead of its source path. It imports nothing
 * from TypeDoc, which is not in the project's node_modules (see api-docs.mjs).
 */
import fs from 'node:fs'

const MODULE = 0x2 // ReflectionKind.Module

export function load(app) {
  const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const names = new Map()
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object' || typeof target.types !== 'string') continue
    const source = target.types.replace(/^\.\/dist\//, '').replace(/\.d\.ts$/, '')
    const name = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`
    names.set(source, name)
    // TypeDoc names an index file's module by its directory.
    if (source.endsWith('/index')) names.set(source.slice(0, -'/index'.length), name)
  }
  app.converter.on('resolveBegin', (context) => {
    for (const reflection of context.project.getReflectionsByKind(MODULE)) {
      reflection.name = names.get(reflection.name) ?? reflection.name
    }
  })
}
