/** Size of one slab: small values are carved from these, one after another. */
const SLAB_BYTES = 64 * 1024
/** Values from this size get memory of their own: a slab would save them little, and they would fill it fast. */
const OWN_MEMORY_FROM = 4096
/** Value starts are aligned so that the typed-array views callers make over them can be. */
const ALIGN = 8
/** A full slab whose live bytes fall under this share of it has them moved to the current slab, and is let go. */
const SPARSE_SHARE = 0.5

/** Where a value the heap tier keeps lives: what `ValueSlabs` needs to know of its holder. */
export interface SlabResident {
  value: Buffer
  /** The slab the value was carved from; undefined for a value with memory of its own, or once released. */
  slab: Slab | undefined
}

export class Slab {
  readonly memory = new ArrayBuffer(SLAB_BYTES)
  used = 0
  live = 0
  /** Every holder placed here, released or not: scanned once, when the slab is emptied. */
  readonly residents: SlabResident[] = []
}

/**
 * Memory for the heap tier's values. Each value the tier keeps is a copy, so
 * that it is the tier's alone, but a copy made with `Buffer.from` is, for a
 * small value, a slice of Node's shared 8 KiB pool: keeping one slice keeps
 * the whole slab alive, and a tier of small values, promoted one read in
 * many, held twenty times the bytes it counted. A Buffer with memory of its
 * own costs ten times as much to make (an ArrayBuffer each: 1.7 µs against
 * 0.17 µs for 100 B). So small values are carved from slabs of the tier's
 * own, and a slab that the evictions have left less than half live has its
 * live values moved to the current slab and is let go: the memory held stays
 * under twice the bytes counted, plus one slab.
 *
 * Moving a value gives its holder a new Buffer; a caller still holding the
 * old one keeps valid, unchanged bytes (slab memory is never written twice).
 */
export class ValueSlabs {
  #current = new Slab()

  /** Gives `resident` a copy of `bytes` in memory the tier holds. */
  place(resident: SlabResident, bytes: Uint8Array): void {
    const length = bytes.byteLength
    if (length >= OWN_MEMORY_FROM) {
      const own = Buffer.allocUnsafeSlow(length)
      own.set(bytes)
      resident.value = own
      resident.slab = undefined
      return
    }
    if (this.#current.used + length > SLAB_BYTES) {
      const full = this.#current
      this.#current = new Slab()
      // Releases while it was current did not empty it: a sparse slab is let go now (its live bytes fit the new one).
      if (full.live < SLAB_BYTES * SPARSE_SHARE) this.#empty(full)
    }
    const slab = this.#current
    const value = Buffer.from(slab.memory, slab.used, length)
    value.set(bytes)
    slab.used += Math.ceil(length / ALIGN) * ALIGN
    slab.live += length
    slab.residents.push(resident)
    resident.value = value
    resident.slab = slab
  }

  /** Forgets `resident`'s value; a slab left sparse by it is emptied into the current one. */
  release(resident: SlabResident): void {
    const slab = resident.slab
    if (slab === undefined) return
    resident.slab = undefined
    slab.live -= resident.value.byteLength
    if (slab !== this.#current && slab.live < SLAB_BYTES * SPARSE_SHARE) this.#empty(slab)
  }

  /** Drops every slab: the values already handed out stay valid for whoever holds them. */
  clear(): void {
    this.#current = new Slab()
  }

  #empty(slab: Slab): void {
    for (const resident of slab.residents) if (resident.slab === slab) this.place(resident, resident.value)
    slab.residents.length = 0
    slab.live = 0
  }
}
