import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, it } from 'node:test'
import { crc32c as tsCrc32c } from '../../src/crc32c.js'
import { availableBackends, mappingFor } from '../../src/native.js'

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text)

// RFC 3720 (iSCSI) appendix B.4 vectors plus the usual check value.
const VECTORS: Array<[string, Uint8Array, number]> = [
  ['"123456789"', ascii('123456789'), 0xe3069283],
  ['32 zero bytes', new Uint8Array(32), 0x8a9136aa],
  ['32 0xff bytes', new Uint8Array(32).fill(0xff), 0x62a8ab43],
  ['bytes 0..31', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
  ['bytes 31..0', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ['empty', new Uint8Array(0), 0],
]

for (const name of availableBackends()) {
  describe(`${name} backend crc32c`, () => {
    const { crc32c } = mappingFor(name)

    it('matches the standard test vectors', () => {
      for (const [label, bytes, expected] of VECTORS) {
        assert.equal(crc32c(0, bytes, 0, bytes.length), expected, label)
      }
    })

    it('chains: crc(crc(a), b) === crc(a + b) at every split', () => {
      const data = randomBytes(100)
      const whole = crc32c(0, data, 0, data.length)
      for (let split = 0; split <= data.length; split++) {
        assert.equal(crc32c(crc32c(0, data, 0, split), data, split, data.length - split), whole)
      }
    })

    it('honours offset, length and the view byteOffset', () => {
      const data = randomBytes(3000)
      const view = new Uint8Array(data.buffer, data.byteOffset + 3, 2000)
      assert.equal(crc32c(0, view, 17, 1500), tsCrc32c(0, new Uint8Array(data.subarray(20, 1520)), 0, 1500))
      assert.equal(crc32c(0x1234, view, 5, 0), 0x1234)
    })

    it('validates its arguments', () => {
      const data = new Uint8Array(10)
      assert.throws(() => crc32c('0' as unknown as number, data, 0, 1), { name: 'TypeError', message: /"crc"/ })
      assert.throws(() => crc32c(0, [1, 2] as unknown as Uint8Array, 0, 1), { name: 'TypeError', message: /"bytes"/ })
      assert.throws(() => crc32c(0, new Uint16Array(4) as unknown as Uint8Array, 0, 1), { name: 'TypeError' })
      assert.throws(() => crc32c(0, data, 5, 6), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' })
      assert.throws(() => crc32c(0, data, 1.5, 1), { name: 'RangeError' })
      assert.throws(() => crc32c(0, data, 0, -1), { name: 'RangeError' })
    })
  })
}

describe('crc32c implementations agree', { skip: !availableBackends().includes('mmap') }, () => {
  it('native and TypeScript give the same CRC on random data, sizes and alignments', () => {
    const native = mappingFor('mmap').crc32c
    const pool = randomBytes(70_000)
    const sizes = [1, 7, 8, 9, 31, 32, 33, 511, 512, 513, 1024, 4099, 65_536]
    for (let round = 0; round < 200; round++) sizes.push(Math.floor(Math.random() * 5000))
    for (const size of sizes) {
      for (const offset of [0, 1, 2, 3, 5, 8]) {
        const seed = (Math.random() * 2 ** 32) >>> 0
        assert.equal(native(seed, pool, offset, size), tsCrc32c(seed, pool, offset, size), `size ${size} offset ${offset}`)
      }
    }
  })
})
