import type { HttpCacheControls } from '../../middleware/core/http-cache.js'

/** How a test app waits for its cache's store. */
export interface StoreSetup {
  /** The test makes the store's open fail: wait for the failure instead of the open. */
  openMayFail?: boolean
}

/**
 * Resolves once the cache's store is open (until then every request passes
 * through, by design), or, with `openMayFail`, once its open has failed.
 * Otherwise a failed open fails the test's setup: a suite must never pass
 * on a cache that stores nothing.
 */
export async function storeSettled(cache: Pick<HttpCacheControls, 'purgeTag'>, setup: StoreSetup = {}): Promise<void> {
  try {
    await cache.purgeTag('spillway-test-ready')
  } catch (err) {
    if (setup.openMayFail !== true) throw err
  }
}
