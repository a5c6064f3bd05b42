/**
 * Vitest runs only the Keyv conformance suite (@keyv/test-suite is written
 * for vitest); every other test is node:test, run from dist/ by `npm test`.
 * The suite imports the compiled adapter (`spillway/keyv`, the package's own
 * entry point), so `npm run build:ts` comes first.
 */
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/keyv/**/*.vitest.ts'],
    // Each test's stores share one directory and are closed in an afterEach that must run after the suite's own.
    sequence: { hooks: 'stack' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
