/**
 * A child process that opens the store in argv[2] (journalBytes argv[3],
 * no heap tier, so every read goes to disk) beside its parent's, and reads
 * the keys the parent names, answering how many it found.
 */
import { openStore } from '../../src/index.js'

const store = await openStore({ dir: process.argv[2]!, backend: 'mmap', journalBytes: Number(process.argv[3]), maxHeapBytes: 0, compression: false })
process.on('message', (message: { read?: string[]; close?: true }) => {
  if (message.read !== undefined) {
    let found = 0
    for (const key of message.read) if (store.getSync(key) !== undefined) found++
    process.send!({ found })
  }
  if (message.close === true) void store.close().then(() => process.exit(0))
})
process.send!({ ready: true })
