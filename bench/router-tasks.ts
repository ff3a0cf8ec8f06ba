/** The functions bench/router.ts calls in its contexts (mitogen's side has the same two in bench/mitogen_bench.py). */
export function noop<T>(x: T): T {
  return x;
}

export function echo(bytes: Uint8Array): Uint8Array {
  return bytes;
}
