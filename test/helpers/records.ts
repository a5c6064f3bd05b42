import { createHash } from 'node:crypto'

/**
 * Self-verifying values: the bytes are derived from the key and a sequence
 * number, and end with a digest of both, so any wrong byte a reader returns
 * shows up without keeping a copy of what was written.
 */
export function valueFor(key: string, seq: number, size: number): Buffer {
  const out = Buffer.alloc(size)
  const seed = createHash('sha256').update(`${key}#${seq}`).digest()
  for (let i = 0; i < size; i++) out[i] = seed[i % 32] ^ (i >>> 5)
  return out
}

export function isValueFor(key: string, seq: number, value: Uint8Array): boolean {
  return Buffer.from(value).equals(valueFor(key, seq, value.byteLength))
}

export function text(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')
}
