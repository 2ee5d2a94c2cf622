/** Seeded pseudo-random numbers for splits, shuffles and augmentations (mulberry32; same seed → same stream). */

import { Rng as SeededRng } from "../src/utils/rng.js";

/** A seeded generator of floats in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 PRNG.
 * @example const r = makeRng(24); r(); // 0.x, identical on every run
 */
export function makeRng(seed: number): Rng {
  const g = new SeededRng(seed);
  return () => g.next();
}

/** Integer in [lo, hi) drawn from `rng`. */
export function randInt(rng: Rng, lo: number, hi: number): number {
  return lo + Math.floor(rng() * (hi - lo));
}

/** Float in [lo, hi) drawn from `rng`. */
export function uniform(rng: Rng, lo: number, hi: number): number {
  return lo + rng() * (hi - lo);
}

/** In-place Fisher–Yates shuffle; returns `arr`. */
export function shuffleInPlace<T>(arr: T[], rng: Rng): T[] {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = arr[i]!;
    arr[i] = arr[j]!;
    arr[j] = t;
  }
  return arr;
}

/** Derive an independent seed from a base seed and integers (e.g. epoch, index). */
export function deriveSeed(base: number, ...parts: number[]): number {
  let h = base >>> 0 ^ 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}
