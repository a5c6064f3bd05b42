import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Readable, Writable } from 'node:stream'
import { after } from 'node:test'
import { Agent, interceptors, request, type Dispatcher } from 'undici'
import { SpillwayCacheStore, type SpillwayCacheStoreOptions, type UndiciStoreOperation } from '../../middleware/undici-store.js'
import type { CacheKey, GetResult } from '../../middleware/undici/contract.js'
import { SMALL } from './support-values.js'

export { keyOf, SMALL, valueOf } from './support-values.js'


/** A clock the test moves: the store's `now`, starting at the wall clock undici stamps its entries with. */
export class TestClock {
  offset = 0
  readonly now = (): number => Date.now() + this.offset
}

export interface Reported { error: Error; operation: UndiciStoreOperation }

/** A store over `dir` that records what it reports, closed when the test file ends. */
export function openCacheStore(options: SpillwayCacheStoreOptions): { store: SpillwayCacheStore; reported: Reported[] } {
  const reported: Reported[] = []
  const store = new SpillwayCacheStore({ ...SMALL, ...options, onError: (error, operation) => reported.push({ error, operation }) })
  after(() => store.close())
  return { store, reported }
}

/** An origin on port 0 that counts its calls per path, answering with `route`. */
export async function startOrigin(route: (req: http.IncomingMessage, res: http.ServerResponse, call: number) => void): Promise<{ url: string; calls: (path?: string) => number }> {
  const counts = new Map<string, number>()
  let total = 0
  const server = http.createServer((req, res) => {
    total++
    const n = (counts.get(req.url ?? '') ?? 0) + 1
    counts.set(req.url ?? '', n)
    route(req, res, n)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: (path?: string) => (path === undefined ? total : counts.get(path) ?? 0),
  }
}

/** undici's Agent with its cache interceptor over `store`, closed when the test file ends. */
export function cachingAgent(store: SpillwayCacheStore): Dispatcher {
  const agent = new Agent()
  after(() => agent.close())
  return agent.compose(interceptors.cache({ store }))
}

export interface Fetched { status: number; headers: Record<string, string | string[] | undefined>; text: string }

export async function fetchThrough(dispatcher: Dispatcher, url: string, options: { method?: Dispatcher.HttpMethod; headers?: Record<string, string | string[]> } = {}): Promise<Fetched> {
  const res = await request(url, { dispatcher, method: options.method ?? 'GET', headers: options.headers })
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() }
}

/** Writes `chunks` and ends; resolves when the stream has finished (and the entry is stored). */
export async function writeAll(stream: Writable | undefined, chunks: Array<string | Buffer>): Promise<void> {
  if (stream === undefined) throw new Error('createWriteStream gave no stream')
  for (const chunk of chunks) stream.write(chunk)
  stream.end()
  await once(stream, 'finish')
}

/** The stored response for `key` with its body joined, or undefined. */
export async function read(store: SpillwayCacheStore, key: CacheKey): Promise<(GetResult & { text: string }) | undefined> {
  const result = await store.get(key)
  if (result === undefined) return undefined
  return { ...result, text: (await bodyBytes(result.body)).toString() }
}

async function bodyBytes(body: GetResult['body']): Promise<Buffer> {
  if (body === undefined) return Buffer.alloc(0)
  if (typeof body === 'string') return Buffer.from(body)
  if (Buffer.isBuffer(body)) return body
  const chunks: Buffer[] = []
  for await (const chunk of body as AsyncIterable<Buffer | string> | Readable) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks)
}
