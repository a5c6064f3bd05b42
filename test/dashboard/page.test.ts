/**
 * The page in headless Chromium: it renders its charts under its strict
 * CSP, the numbers it shows are stats()', and they move after traffic.
 * Every wait is for the page to show something (waitForFunction), never
 * for time; the timeouts are generous because a loaded machine is slow,
 * not because anything is timed. Without Chromium the tests skip, saying why.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import type { StoreStats } from '../../src/index.js'
import type { HttpCacheStats } from '../../middleware/express.js'
import { outcomesOf } from '../../middleware/dashboard/outcomes.js'
import { findChromium, launch } from './chromium.js'
import { startDashboardApp, type DashboardApp } from './dashboard-app.js'

const WAIT_MS = 180_000

/** The little of the DOM these tests touch, inside functions that run in the page. */
declare const document: {
  querySelector(selector: string): { textContent: string | null; dataset: Record<string, string | undefined> } | null
  querySelectorAll(selector: string): { length: number }
}
const found = findChromium()

/** What the page must show, by data-testid: ['text', s] for its text, ['value', s] for its exact data-value. */
type Figures = Record<string, ['text' | 'value', string]>

function figuresOf(store: StoreStats, http: HttpCacheStats): Figures {
  const outcomes = outcomesOf(http)
  const text = (n: number): ['text', string] => ['text', String(n)]
  const value = (n: number): ['value', string] => ['value', String(n)]
  const figures: Figures = {
    'heap-hits': text(store.heap.hits),
    'heap-misses': text(store.heap.misses),
    'disk-hits': text(store.disk.hits),
    'disk-misses': text(store.disk.misses),
    'heap-entries': text(store.heap.entries),
    'disk-entries': text(store.disk.entries),
    'heap-bytes': value(store.heap.bytes),
    'heap-max-bytes': value(store.heap.maxBytes),
    'disk-bytes': value(store.disk.bytes),
    'disk-max-bytes': value(store.disk.maxBytes),
    'journals-active': text(store.journals.active),
    'journals-sealed': text(Math.max(0, store.journals.mapped - store.journals.active)),
    'journals-cold': text(store.journals.cold),
    'dead-ratio': value(store.disk.deadRatio),
    'compaction-runs': text(store.compaction.runs),
    'evicted-journals': text(store.eviction.journals),
    'corruptions': text(store.corruptions),
    'requests': text(Object.values(outcomes).reduce((a, b) => a + b, 0)),
    'http-stored': text(http.stored),
  }
  if (store.heap.hits + store.heap.misses > 0) figures['heap-hit-ratio'] = value(store.heap.hits / (store.heap.hits + store.heap.misses))
  for (const [name, n] of Object.entries(outcomes)) figures[`outcome-${name}`] = text(n)
  return figures
}

/** The figures the page shows, by data-testid: runs in the page (as source text: this file knows no DOM types). */
function shownFigures(want: Figures): Record<string, [string, string | null]> {
  const got: Record<string, [string, string | null]> = {}
  for (const [id, [kind]] of Object.entries(want)) {
    const el = document.querySelector(`[data-testid="${id}"]`)
    got[id] = [kind, el === null ? null : kind === 'text' ? el.textContent : el.dataset.value ?? null]
  }
  return got
}

/** Waits until the page shows `expected`; on a timeout, fails with what it showed instead. */
async function waitForFigures(page: Page, expected: Figures): Promise<void> {
  const shown = `(${shownFigures.toString()})(${JSON.stringify(expected)})`
  try {
    await page.waitForFunction(`Object.entries(${shown}).every(([id, [, v]]) => v === ${JSON.stringify(expected)}[id][1])`, undefined,
      { timeout: WAIT_MS })
  } catch (err) {
    assert.deepEqual(await page.evaluate(shown), expected, `the page never showed stats(): ${(err as Error).message}`)
  }
}

describe('the page in headless Chromium', () => {
  let browser: Browser | undefined
  let app: DashboardApp
  let page: Page
  const problems: string[] = []

  before(async () => {
    if ('skip' in found) return
    browser = await launch(found.executable)
    app = await startDashboardApp({ intervalMs: 50 }, false)
    page = await browser.newPage()
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`))
    page.on('console', (message) => {
      // The browser asks the site for /favicon.ico by itself; the app has none.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) problems.push(`console: ${message.text()}`)
    })
  })
  after(async () => {
    await browser?.close()
    await app?.close()
  })

  it('renders: six charts drawn on canvases, the stream live, no script error and no CSP violation', async (t) => {
    if ('skip' in found) return t.skip(found.skip)
    for (const path of ['/page/1', '/page/2', '/page/1']) await app.get(path)
    await page.goto(app.dashboardUrl)
    await page.waitForFunction(() => document.querySelectorAll('[data-chart] canvas').length === 6 &&
      document.querySelector('[data-testid="connection"]')?.textContent === 'live', undefined, { timeout: WAIT_MS })
    assert.equal(await page.locator('[data-chart="hit-ratio"] canvas').count(), 1)
    assert.equal(await page.locator('[data-testid="source"]').textContent(), 'HTTP cache')
    assert.deepEqual(problems, [], 'a CSP violation or a script error shows as a console error')
  })

  it('shows the numbers stats() gives', async (t) => {
    if ('skip' in found) return t.skip(found.skip)
    const expected = figuresOf(app.cache.store()!.stats(), app.cache.stats())
    assert.equal(expected['outcome-hit'][1], '1', 'a hit among the figures compared')
    await waitForFigures(page, expected)
  })

  it('moves after traffic: new requests show in its counts and charts', async (t) => {
    if ('skip' in found) return t.skip(found.skip)
    const samples = Number(await page.locator('[data-testid="samples"]').textContent())
    const requests = Number(await page.locator('[data-testid="requests"]').textContent())
    for (const path of ['/page/3', '/page/4', '/page/3', '/page/3', '/page/5']) await app.get(path)
    await page.waitForFunction((want) => document.querySelector('[data-testid="requests"]')?.textContent === want,
      String(requests + 5), { timeout: WAIT_MS })
    await waitForFigures(page, figuresOf(app.cache.store()!.stats(), app.cache.stats()))
    assert.ok(Number(await page.locator('[data-testid="samples"]').textContent()) > samples)
    assert.deepEqual(problems, [])
  })
})
