import type { HttpCacheControls } from '../../middleware/core/http-cache.js'

/** How a test app waits for its cache's store. */
export interface StoreSetup {
  /** The test makes the store's open fail: wait for the failure instead of the open. */
  openMayFail?: boolean
  /** `false`: do not wait at all (the test awaits `cache.ready` itself). @default true */
  wait?: boolean
}

/**
 * Resolves once the cache's store is open (until then every request passes
 * through, by design), or, with `openMayFail`, once its open has failed.
 * Otherwise a failed open fails the test's setup: a suite must never pass
 * on a cache that stores nothing.
 */
export async function storeSettled(cache: Pick<HttpCacheControls, 'ready'>, setup: StoreSetup = {}): Promise<void> {
  if (setup.wait === false) return
  try {
    await cache.ready
  } catch (err) {
    if (setup.openMayFail !== true) throw err
  }
}
