/**
 * Keyv's own conformance suite (@keyv/test-suite) against KeyvSpillway: its
 * API, value, namespace and iterator tests. Run by vitest (see
 * vitest.config.ts next to this file), not by node:test.
 *
 * The suite calls its store factory several times in one test and expects
 * the stores to share their data (a clear through one store, a get through
 * another), as database-backed adapters do. So every test gets a fresh
 * directory, every store the factory makes in that test opens it, and all
 * of them are closed, and the directory removed, after the test.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as vitest from 'vitest'
import Keyv from 'keyv'
import { keyvApiTests, keyvIteratorTests, keyvNamespaceTest, keyvValueTests } from '@keyv/test-suite'
import { KeyvSpillway } from 'spillway/keyv'

const { afterEach, beforeEach, describe } = vitest

/** A factory for the suite: stores over this test's directory, each closed after the test. */
function storesPerTest(): () => KeyvSpillway {
  let dir: string | undefined
  let opened: KeyvSpillway[] = []
  // Registered before the suite's own hooks: 'stack' order runs this beforeEach first and this afterEach last.
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spillway-keyv-suite-'))
  })
  afterEach(async () => {
    const closing = opened
    opened = []
    await Promise.all(closing.map((store) => store.disconnect()))
    fs.rmSync(dir!, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 })
    dir = undefined
  })
  return () => {
    if (dir === undefined) throw new Error('a KeyvSpillway made outside a test')
    const store = new KeyvSpillway({ dir, journalBytes: 256 * 1024 })
    opened.push(store)
    return store
  }
}

describe('KeyvSpillway: @keyv/test-suite API tests', () => keyvApiTests(vitest, Keyv, storesPerTest()))
describe('KeyvSpillway: @keyv/test-suite value tests', () => keyvValueTests(vitest, Keyv, storesPerTest()))
describe('KeyvSpillway: @keyv/test-suite namespace tests', () => keyvNamespaceTest(vitest, Keyv, storesPerTest()))
describe('KeyvSpillway: @keyv/test-suite iterator tests', () => keyvIteratorTests(vitest, Keyv, storesPerTest()))
