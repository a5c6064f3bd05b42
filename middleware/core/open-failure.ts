/**
 * A store that fails to open leaves the cache passing every request through
 * for the life of the process, so it is said once, loudly, without DEBUG: a
 * process warning (printed on stderr unless the app handles warnings), with
 * the store error's code. Returns the Cache-Status detail to give from then
 * on, which names the failure rather than suggesting the store is on its way.
 */
export function reportOpenFailure(err: unknown, dir: string | undefined): string {
  const code = typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : 'ERR_STORE_OPEN'
  const why = err instanceof Error ? err.message : String(err)
  process.emitWarning(`spillway: the HTTP cache store${dir === undefined ? '' : ` in ${dir}`} failed to open (${code}: ${why}); ` +
    'every request passes through uncached until the process restarts', { type: 'SpillwayWarning', code })
  return `store failed to open: ${code}`
}
