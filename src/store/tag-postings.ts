/**
 * Tag postings off the JS heap: a set of (tag hash, key hash) pairs, 8 bytes
 * a posting, kept as a few sorted runs in Uint32Arrays plus a small unsorted
 * buffer (the logarithmic method of Bentley and Saxe, as an LSM tree keeps its
 * levels). Only hashes are kept: the caller confirms each candidate against
 * the key and tag block of the record, as the keydir's callers confirm a key.
 *
 * Costs, for n postings and a tag with k of them:
 * - `add`: amortised O(log n) word copies (each posting is merged into a
 *   bigger run about log₂(n / BUFFER) times in its life);
 * - `take(tag)`: a binary search per run (at most log₂(n / BUFFER) + 1 runs),
 *   a scan of the buffer (BUFFER pairs) and O(k);
 * - `removeAll(tag, key)`: the same searches, O(log² n).
 * Memory: 8 bytes a posting and one bit for its "dead" mark, plus the buffer;
 * dead postings, duplicates and postings whose key hash has left the keydir
 * (`isLive` says) are dropped whenever their run is merged.
 */
const BUFFER = 512

/** One sorted run: pairs [tag, key, tag, key, …] ordered by tag then key, and a bit per pair once taken or removed. */
interface Run {
  pairs: Uint32Array
  dead: Uint8Array
  deadCount: number
}

export class TagPostings {
  /** Oldest and largest first; each more than twice the size of the next. */
  #runs: Run[] = []
  #buffer = new Uint32Array(BUFFER * 2)
  #buffered = 0
  #isLive: (keyHash: number) => boolean

  /** `isLive(keyHash)` false lets a merge drop the postings of a key hash that no longer has any entry. */
  constructor(isLive: (keyHash: number) => boolean) {
    this.#isLive = isLive
  }

  /** Postings held, dead ones and duplicates included until their run is merged. */
  get size(): number {
    let n = this.#buffered
    for (const run of this.#runs) n += run.pairs.length / 2 - run.deadCount
    return n
  }

  /** Bytes of typed arrays held. */
  get byteSize(): number {
    let bytes = this.#buffer.byteLength
    for (const run of this.#runs) bytes += run.pairs.byteLength + run.dead.byteLength
    return bytes
  }

  add(tagHash: number, keyHash: number): void {
    if (this.#buffered === BUFFER) this.#flush()
    const at = this.#buffered++ * 2
    this.#buffer[at] = tagHash
    this.#buffer[at + 1] = keyHash
  }

  /** Removes every copy of the pair. */
  removeAll(tagHash: number, keyHash: number): void {
    for (const run of this.#runs) {
      const pairs = run.pairs
      for (let i = lowerBound(pairs, tagHash, keyHash); i < pairs.length / 2 && pairs[i * 2] === tagHash && pairs[i * 2 + 1] === keyHash; i++) {
        markDead(run, i)
      }
    }
    const buffer = this.#buffer
    for (let i = 0; i < this.#buffered;) {
      if (buffer[i * 2] === tagHash && buffer[i * 2 + 1] === keyHash) this.#unbuffer(i)
      else i++
    }
  }

  /**
   * Removes and returns the key hashes of every posting of `tagHash` (a key
   * hash may come more than once). The caller adds back those it finds still
   * carried by some entry under another tag with the same hash.
   */
  take(tagHash: number): number[] {
    const keys: number[] = []
    for (const run of this.#runs) {
      const pairs = run.pairs
      const n = pairs.length / 2
      for (let i = lowerBound(pairs, tagHash, 0); i < n && pairs[i * 2] === tagHash; i++) {
        if (isDead(run, i)) continue
        keys.push(pairs[i * 2 + 1])
        markDead(run, i)
      }
    }
    const buffer = this.#buffer
    for (let i = 0; i < this.#buffered;) {
      if (buffer[i * 2] !== tagHash) {
        i++
        continue
      }
      keys.push(buffer[i * 2 + 1])
      this.#unbuffer(i)
    }
    // A run more than half dead is rewritten, so dead marks never hold more than half of any run.
    for (let r = 0; r < this.#runs.length; r++) {
      const run = this.#runs[r]
      if (run.deadCount * 4 > run.pairs.length) this.#runs[r] = this.#merge([run])
    }
    this.#runs = this.#runs.filter((run) => run.pairs.length > 0)
    return keys
  }

  clear(): void {
    this.#runs = []
    this.#buffered = 0
  }

  #unbuffer(i: number): void {
    const last = --this.#buffered * 2
    this.#buffer[i * 2] = this.#buffer[last]
    this.#buffer[i * 2 + 1] = this.#buffer[last + 1]
  }

  /** Sorts the buffer into a run of its own, then merges runs until each is more than twice the next. */
  #flush(): void {
    const n = this.#buffered
    const buffer = this.#buffer
    const order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => buffer[a * 2] - buffer[b * 2] || buffer[a * 2 + 1] - buffer[b * 2 + 1])
    const pairs = new Uint32Array(n * 2)
    for (let i = 0; i < n; i++) {
      pairs[i * 2] = buffer[order[i] * 2]
      pairs[i * 2 + 1] = buffer[order[i] * 2 + 1]
    }
    this.#buffered = 0
    const runs = this.#runs
    runs.push(this.#merge([{ pairs, dead: new Uint8Array((n + 7) >>> 3), deadCount: 0 }]))
    while (runs.length >= 2 && runs[runs.length - 2].pairs.length <= 2 * runs[runs.length - 1].pairs.length) {
      const newer = runs.pop()!
      const older = runs.pop()!
      runs.push(this.#merge([older, newer]))
    }
    this.#runs = runs.filter((run) => run.pairs.length > 0)
  }

  /** One run of the live, distinct postings of one or two runs whose key hash `isLive`. */
  #merge(parts: Run[]): Run {
    let total = 0
    for (const part of parts) total += part.pairs.length / 2 - part.deadCount
    const out = new Uint32Array(total * 2)
    let written = 0
    let lastTag = -1
    let lastKey = -1
    const emit = (run: Run, i: number): void => {
      if (isDead(run, i)) return
      const tag = run.pairs[i * 2]
      const key = run.pairs[i * 2 + 1]
      if ((tag === lastTag && key === lastKey) || !this.#isLive(key)) return
      out[written * 2] = lastTag = tag
      out[written * 2 + 1] = lastKey = key
      written++
    }
    const a = parts[0]
    const b = parts[1]
    const na = a.pairs.length / 2
    const nb = b === undefined ? 0 : b.pairs.length / 2
    let i = 0
    let j = 0
    while (i < na && j < nb) {
      if (compare(a.pairs, i, b!.pairs, j) <= 0) emit(a, i++)
      else emit(b!, j++)
    }
    while (i < na) emit(a, i++)
    while (j < nb) emit(b!, j++)
    // Copied to an exact size: a run is kept for long, and the slack would be memory held per posting.
    const pairs = written === total ? out : out.slice(0, written * 2)
    return { pairs, dead: new Uint8Array((written + 7) >>> 3), deadCount: 0 }
  }
}

function compare(a: Uint32Array, i: number, b: Uint32Array, j: number): number {
  return a[i * 2] - b[j * 2] || a[i * 2 + 1] - b[j * 2 + 1]
}

/** The first pair index whose pair is not below (tag, key). */
function lowerBound(pairs: Uint32Array, tag: number, key: number): number {
  let lo = 0
  let hi = pairs.length / 2
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const t = pairs[mid * 2]
    if (t < tag || (t === tag && pairs[mid * 2 + 1] < key)) lo = mid + 1
    else hi = mid
  }
  return lo
}

function isDead(run: Run, i: number): boolean {
  return (run.dead[i >>> 3] & (1 << (i & 7))) !== 0
}

function markDead(run: Run, i: number): void {
  if (isDead(run, i)) return
  run.dead[i >>> 3] |= 1 << (i & 7)
  run.deadCount++
}
