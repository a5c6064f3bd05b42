#!/usr/bin/env node
/**
 * `prepublishOnly`: refuses to publish while package.json still holds the
 * placeholder repository, homepage or bugs URLs (the reserved `.invalid`
 * domain, RFC 6761 §6.4, marks them): they must name the real repository.
 */
import fs from 'node:fs'

const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const urls = [pkg.repository?.url, pkg.homepage, pkg.bugs?.url]
const placeholders = urls.filter((url) => typeof url !== 'string' || /\.invalid\b/.test(url))
if (placeholders.length > 0) {
  console.error(`package.json: repository, homepage and bugs must name the published repository; placeholders left: ${placeholders.join(', ')}`)
  process.exit(1)
}
