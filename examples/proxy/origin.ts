/**
 * A deliberately slow origin for the proxy example: GET /report takes
 * ORIGIN_DELAY_MS and says it may be cached for five minutes. Run alone
 * (`node dist/examples/proxy/origin.js`, PORT to choose the port), or
 * imported by demo.ts.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'

export const ORIGIN_DELAY_MS = 300

export async function startOrigin(port = 0): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith('/report')) {
      res.statusCode = 404
      return void res.end('not found\n')
    }
    calls++
    setTimeout(() => {
      res.setHeader('content-type', 'application/json')
      res.setHeader('cache-control', 'public, max-age=300')
      res.end(JSON.stringify({ report: req.url, generatedAt: new Date().toISOString() }))
    }, ORIGIN_DELAY_MS)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls: () => calls,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    }),
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const origin = await startOrigin(Number(process.env.PORT ?? 3000))
  console.log(`slow origin on ${origin.url} (GET /report takes ${ORIGIN_DELAY_MS} ms)`)
}
