import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decodeCachedResponse, encodeCachedResponse, type CachedHead, type CachedResponse } from '../../middleware/core/cached-response.js'
import { DecodedEntries } from '../../middleware/core/decoded-entries.js'

const HEAD: CachedHead = { v: 2, status: 200, headers: { 'content-type': 'text/plain' }, storedAt: 1 }

/** Entries that count how often they really decode. */
function counting(maxKeys?: number): { entries: DecodedEntries<CachedResponse>; decodes: () => number } {
  let decodes = 0
  const entries = new DecodedEntries<CachedResponse>((bytes) => {
    decodes++
    return decodeCachedResponse(bytes)
  }, maxKeys)
  return { entries, decodes: () => decodes }
}

describe('DecodedEntries', () => {
  it('decodes the same Buffer once (a heap-tier hit)', () => {
    const { entries, decodes } = counting()
    const bytes = encodeCachedResponse(HEAD, Buffer.from('body'))
    const first = entries.get('k', bytes)
    assert.equal(entries.get('k', bytes), first)
    assert.equal(entries.get('other key', bytes), first)
    assert.equal(decodes(), 1)
  })

  it('reuses the head of fresh bytes equal to the last decoded under the key, and takes the body from the new bytes', () => {
    const { entries, decodes } = counting()
    const a = entries.get('k', encodeCachedResponse(HEAD, Buffer.from('first')))!
    const b = entries.get('k', encodeCachedResponse(HEAD, Buffer.from('second, longer')))!
    assert.equal(decodes(), 1)
    assert.equal(b.head, a.head)
    assert.equal(b.body.toString(), 'second, longer')
    assert.equal(a.body.toString(), 'first')
  })

  it('decodes again when the head differs, or under another key', () => {
    const { entries, decodes } = counting()
    entries.get('k', encodeCachedResponse(HEAD, Buffer.from('x')))
    const changed = entries.get('k', encodeCachedResponse({ ...HEAD, status: 404 }, Buffer.from('x')))!
    assert.equal(changed.head.status, 404)
    entries.get('k2', encodeCachedResponse(HEAD, Buffer.from('x')))
    assert.equal(decodes(), 3)
  })

  it('remembers at most maxKeys heads, the oldest going first', () => {
    const { entries, decodes } = counting(2)
    for (const key of ['a', 'b', 'c']) entries.get(key, encodeCachedResponse(HEAD, Buffer.from(key)))
    entries.get('c', encodeCachedResponse(HEAD, Buffer.from('c')))
    assert.equal(decodes(), 3, 'c is remembered')
    entries.get('a', encodeCachedResponse(HEAD, Buffer.from('a')))
    assert.equal(decodes(), 4, 'a was dropped for c')
  })

  it('answers undefined for bytes that are not a response, and remembers nothing for them', () => {
    const { entries, decodes } = counting()
    assert.equal(entries.get('k', undefined), undefined)
    assert.equal(entries.get('k', Buffer.from([1, 2])), undefined)
    assert.equal(entries.get('k', Buffer.from([200, 0, 0, 0, 1])), undefined)
    const notJson = Buffer.concat([Buffer.from([3, 0, 0, 0]), Buffer.from('{{{body')])
    assert.equal(entries.get('k', notJson), undefined)
    assert.equal(entries.get('k', Buffer.from(notJson)), undefined)
    assert.equal(decodes(), 2, 'bytes too short for their head never reach the decoder; undecodable heads are tried each time')
  })
})
