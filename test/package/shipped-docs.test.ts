/**
 * The published package ships what its documentation links to: every
 * relative link in README.md, CHANGELOG.md and docs/ names a file that
 * exists and that package.json `files` includes (npm adds README, LICENSE
 * and package.json itself). And the fields npm shows for the repository are
 * there.
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  files: string[]; repository?: { url?: string }; homepage?: string; bugs?: { url?: string }
}
const ALWAYS_SHIPPED = ['README.md', 'LICENSE', 'package.json']

function markdownFiles(dir: string): string[] {
  return fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const rel = path.posix.join(dir, entry.name)
    if (entry.isDirectory()) return markdownFiles(rel)
    return entry.name.endsWith('.md') ? [rel] : []
  })
}

/** Relative link targets of a markdown file, without their #fragment, as paths from the root. */
function relativeLinks(file: string): string[] {
  const text = fs.readFileSync(path.join(root, file), 'utf8').replace(/```[\s\S]*?```/g, '')
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1])
  return targets
    .filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t) && !t.startsWith('#'))
    .map((t) => path.posix.normalize(path.posix.join(path.posix.dirname(file), decodeURIComponent(t.split('#')[0]))))
}

const shipped = (file: string) => ALWAYS_SHIPPED.includes(file) ||
  pkg.files.some((entry) => file === entry || file.startsWith(`${entry.replace(/\/$/, '')}/`))

describe('the published package', () => {
  const docs = ['README.md', 'CHANGELOG.md', ...markdownFiles('docs')]

  it('ships every file the README, the changelog and docs/ link to, and each exists', () => {
    const links = docs.flatMap((file) => relativeLinks(file).map((target) => ({ file, target })))
    assert.ok(links.some((l) => l.target === 'src/journal/FORMAT.md'), 'the README links to FORMAT.md')
    for (const { file, target } of links) {
      assert.ok(fs.existsSync(path.join(root, target)), `${file} links to ${target}, which does not exist`)
      assert.ok(shipped(target), `${file} links to ${target}, which package.json files leaves out`)
    }
    for (const file of docs) assert.ok(shipped(file), `${file} is not shipped`)
  })

  it('names its repository, homepage and issue tracker', () => {
    assert.match(pkg.repository?.url ?? '', /^git\+https:\/\//)
    assert.match(pkg.homepage ?? '', /^https:\/\//)
    assert.match(pkg.bugs?.url ?? '', /^https:\/\//)
  })
})
