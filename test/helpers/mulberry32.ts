/**
 * mulberry32, the twin of `mulberry32_uniform` in test/reference/torch_reference.py: the PyTorch parity test
 * generates its weights and inputs from their names with it on both sides, so nothing is shipped. Kept here,
 * apart from the library's generator (src/utils/rng.ts, splitmix32), so the parity goldens do not depend on it.
 */

/** A mulberry32 stream of uniform floats in [0, 1) from `seed`. */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
