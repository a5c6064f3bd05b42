// snappyjs ships no types; these are the two calls spillway uses.
declare module 'snappyjs' {
  export function compress(input: Uint8Array): Uint8Array
  export function uncompress(input: Uint8Array, maxLength?: number): Uint8Array
}
