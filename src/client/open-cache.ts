import { openStore } from '../store/store.js'
import { Cache } from './cache.js'
import { resolveClientOptions, type CacheOptions } from './options.js'
import { DEFAULT_SERIALIZER, resolveSerializer } from './serializers.js'

/** Opens a store (StoreOptions) and a typed cache over it; close() closes both. Bad options reject with a TypeError. */
export async function openCache<T = unknown>(options: CacheOptions<T>): Promise<Cache<T>> {
  const { serializer, onError, leaseMs, ...storeOptions } = options ?? ({} as CacheOptions<T>)
  // Checked before the store opens, so a bad option leaves no directory locked.
  resolveSerializer(serializer === undefined ? DEFAULT_SERIALIZER : serializer)
  resolveClientOptions({ onError, leaseMs })
  const store = await openStore(onError === undefined ? storeOptions : {
    ...storeOptions,
    onError: (error, operation) => {
      try {
        onError(error, { operation })
      } catch {
        // Ignored, as for the cache's own reports.
      }
    },
  })
  return Cache.owning(store, { serializer, onError, leaseMs })
}
