/**
 * A strict HTTP/1.1 response reader over a raw socket, for front ends built
 * on code that predates today's Node (argo): it sends requests, pipelined on
 * one connection, and takes the responses apart by their own framing
 * (RFC 9112 §6.3), refusing what a strict client refuses: Content-Length
 * beside Transfer-Encoding, differing Content-Lengths, a malformed chunk, a
 * body that ends before its length. A second response read right after the
 * first shows the first one's framing held.
 */
import net from 'node:net'

export interface StrictResponse {
  status: number
  /** Lower-cased names, in the order sent, repeats kept. */
  fields: Array<[string, string]>
  headers: Record<string, string>
  body: Buffer
  framing: 'none' | 'length' | 'chunked' | 'close'
}

export interface StrictRequest {
  method?: string
  path: string
  headers?: Record<string, string>
}

/** Sends `requests` on one connection (the last with Connection: close) and parses every response strictly; rejects on any violation. */
export function strictExchange(url: string, requests: StrictRequest[], timeoutMs = 5000): Promise<StrictResponse[]> {
  const { hostname, port, host } = new URL(url)
  const text = requests.map((r, i) => {
    const headers = { host, ...(i === requests.length - 1 ? { connection: 'close' } : {}), ...r.headers }
    return `${r.method ?? 'GET'} ${r.path} HTTP/1.1\r\n${Object.entries(headers).map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`
  }).join('')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    const socket = net.connect(Number(port), hostname, () => socket.write(text))
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer from ${url} within ${timeoutMs} ms: ${JSON.stringify(Buffer.concat(chunks).toString('latin1').slice(0, 400))}`))
    }, timeoutMs)
    socket.on('data', (chunk) => chunks.push(chunk))
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(timer)
      try {
        resolve(parseResponses(Buffer.concat(chunks), requests.map((r) => r.method ?? 'GET')))
      } catch (err) {
        reject(err)
      }
    })
  })
}

/** Every response in `bytes`, one per method, by RFC 9112 §6.3's rules; throws on what a strict client refuses. */
export function parseResponses(bytes: Buffer, methods: string[]): StrictResponse[] {
  const out: StrictResponse[] = []
  let at = 0
  for (const method of methods) {
    const headEnd = bytes.indexOf('\r\n\r\n', at)
    if (headEnd < 0) throw new Error(`response ${out.length + 1}: no complete head in ${JSON.stringify(bytes.subarray(at).toString('latin1').slice(0, 300))}`)
    const lines = bytes.subarray(at, headEnd).toString('latin1').split('\r\n')
    const statusLine = /^HTTP\/1\.1 (\d{3}) /.exec(lines[0] + ' ')
    if (statusLine === null) throw new Error(`response ${out.length + 1}: bad status line ${JSON.stringify(lines[0])}`)
    const status = Number(statusLine[1])
    const fields: Array<[string, string]> = []
    for (const line of lines.slice(1)) {
      const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/.exec(line)
      if (m === null) throw new Error(`response ${out.length + 1}: bad field line ${JSON.stringify(line)}`)
      fields.push([m[1].toLowerCase(), m[2]])
    }
    const headers: Record<string, string> = {}
    for (const [name, value] of fields) headers[name] = name in headers ? `${headers[name]}, ${value}` : value
    const lengths = fields.filter(([name]) => name === 'content-length').map(([, v]) => v)
    const te = headers['transfer-encoding']
    if (te !== undefined && lengths.length > 0) throw new Error(`response ${out.length + 1}: both Transfer-Encoding (${te}) and Content-Length (${lengths.join()})`)
    if (new Set(lengths).size > 1) throw new Error(`response ${out.length + 1}: differing Content-Lengths ${lengths.join()}`)
    at = headEnd + 4
    let body: Buffer = Buffer.alloc(0)
    let framing: StrictResponse['framing']
    if (method === 'HEAD' || status === 204 || status === 304 || status < 200) {
      framing = 'none'
      if (status === 204 && lengths.length > 0) throw new Error(`response ${out.length + 1}: Content-Length on a 204`)
    } else if (te !== undefined) {
      if (te.trim().toLowerCase() !== 'chunked') throw new Error(`response ${out.length + 1}: Transfer-Encoding ${te}`)
      framing = 'chunked'
      const parts: Buffer[] = []
      for (;;) {
        const lineEnd = bytes.indexOf('\r\n', at)
        if (lineEnd < 0) throw new Error(`response ${out.length + 1}: chunked body cut short`)
        const sizeText = bytes.subarray(at, lineEnd).toString('latin1').split(';')[0].trim()
        if (!/^[0-9A-Fa-f]+$/.test(sizeText)) throw new Error(`response ${out.length + 1}: bad chunk size ${JSON.stringify(sizeText)}`)
        const size = parseInt(sizeText, 16)
        at = lineEnd + 2
        if (size === 0) {
          const trailerEnd = bytes.indexOf('\r\n\r\n', at - 2)
          if (trailerEnd < 0) throw new Error(`response ${out.length + 1}: chunked body without its last CRLF`)
          at = trailerEnd + 4
          break
        }
        if (at + size + 2 > bytes.length || bytes.toString('latin1', at + size, at + size + 2) !== '\r\n') {
          throw new Error(`response ${out.length + 1}: chunk of ${size} bytes cut short or unterminated`)
        }
        parts.push(bytes.subarray(at, at + size))
        at += size + 2
      }
      body = Buffer.concat(parts)
    } else if (lengths.length > 0) {
      framing = 'length'
      const length = Number(lengths[0])
      if (!Number.isSafeInteger(length) || length < 0) throw new Error(`response ${out.length + 1}: bad Content-Length ${lengths[0]}`)
      if (at + length > bytes.length) throw new Error(`response ${out.length + 1}: body of ${bytes.length - at} bytes, Content-Length ${length}`)
      body = bytes.subarray(at, at + length)
      at += length
    } else {
      // RFC 9112 §6.3 rule 8: delimited by the close. Only a last response can be.
      if (out.length !== methods.length - 1) throw new Error(`response ${out.length + 1}: no framing, yet more responses follow`)
      framing = 'close'
      body = bytes.subarray(at)
      at = bytes.length
    }
    out.push({ status, fields, headers, body, framing })
  }
  if (at !== bytes.length) throw new Error(`${bytes.length - at} bytes after the last response: ${JSON.stringify(bytes.subarray(at).toString('latin1').slice(0, 200))}`)
  return out
}
