/**
 * `npm run bench` runs every benchmark; `npm run bench -- journal` runs one.
 * Each prints its table; `--save` (or BENCH_SAVE=1) also saves it under
 * bench/results/, replacing the committed one.
 */
const BENCHES = ['crc32c', 'journal', 'keydir', 'bloom', 'heap-admission', 'expired-reads', 'compression', 'reopen', 'scale', 'compaction', 'store', 'http', 'http-hit-path', 'proxy', 'memory', 'cluster', 'client', 'keyv', 'undici-store'] as const

const wanted = process.argv.slice(2).filter((arg) => arg !== '--save')
const unknown = wanted.filter((name) => !(BENCHES as readonly string[]).includes(name))
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`)
  process.exit(2)
}
for (const name of wanted.length > 0 ? wanted : BENCHES) await import(`./${name}.js`)
