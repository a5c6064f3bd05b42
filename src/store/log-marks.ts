/**
 * Records under keys no store key can have (keys are well-formed UTF-8,
 * where the byte 0xFF never occurs), which tell the processes sharing a
 * directory about maintenance (FORMAT.md, "Following"). recovery-point.ts
 * has the other such key, the recovery mark.
 */

/**
 * A tombstone under `0xFF retired:<journal id>`, appended before a drained
 * journal's file is unlinked: every process that applies it drops its keydir
 * entries and its mapping for that journal.
 */
const RETIRED = Buffer.from('\xffretired:', 'latin1')

export function retiredMark(journalId: number): Buffer {
  return Buffer.concat([RETIRED, Buffer.from(String(journalId), 'latin1')])
}

/** The journal a retire mark names, or undefined for any other key. */
export function retiredJournal(key: Uint8Array): number | undefined {
  if (key.byteLength <= RETIRED.byteLength || key[0] !== 0xff) return undefined
  for (let i = 1; i < RETIRED.byteLength; i++) if (key[i] !== RETIRED[i]) return undefined
  const id = Number(Buffer.from(key.subarray(RETIRED.byteLength)).toString('latin1'))
  return Number.isSafeInteger(id) && id > 0 ? id : undefined
}

/** Whether a key is one of these internal ones, which no store key can be. */
export function isInternalKey(key: Uint8Array): boolean {
  return key.byteLength > 0 && key[0] === 0xff
}
