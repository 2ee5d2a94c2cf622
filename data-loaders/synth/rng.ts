/**
 * Seeded pseudo-random numbers for the synthetic cohort. Never `Math.random`: every byte the
 * generator writes must be a function of the seed alone.
 *
 * The core is splitmix32 (a 32-bit variant of Steele et al.'s SplitMix: a Weyl sequence
 * `s += 0x9e3779b9` through the murmur3 finaliser). The rest of the project draws from
 * src/utils/rng.ts's mulberry32, which is built the same way (a Weyl sequence with an odd
 * increment), so both have the full 2^32 period from every seed; the cohort keeps splitmix32 so
 * that a seed and options keep giving the same files, byte for byte. Neither is cryptographic.
 * Independent sub-streams come from `fork(label)`, which mixes the label into the parent's seed
 * (`hashString`, `mixSeeds` from src/utils/rng.ts), so that adding a draw in one part of the generator
 * does not shift every later draw elsewhere (e.g. the NIH cohort does not change when the MIMIC
 * options change).
 */

import { hashString, mixSeeds } from "../../src/utils/rng.js";

/**
 * A small seeded generator.
 *
 * @example
 * const rng = new Rng(24);
 * rng.uniform();            // in [0, 1)
 * rng.fork("mimic").int(0, 9);
 */
export class Rng {
  private state: number;
  /** The seed this stream started from (for forking). */
  readonly seed: number;

  /** @param seed any integer; it is reduced to 32 bits. */
  constructor(seed: number) {
    this.seed = seed >>> 0;
    this.state = this.seed;
  }

  /** Next raw 32-bit unsigned integer (splitmix32). */
  nextU32(): number {
    this.state = (this.state + 0x9e3779b9) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Uniform integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Standard normal draw (Box–Muller, one value per call). */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson draw (Knuth's method; fine for the small means used here). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.uniform();
    while (p > limit) {
      k++;
      p *= this.uniform();
    }
    return k;
  }

  /** Exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.uniform());
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.uniform() * items.length)];
    if (item === undefined) throw new Error("Rng.pick: empty array");
    return item;
  }

  /** One element of `items` with probability proportional to `weights`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.uniform() * total;
    for (let i = 0; i < items.length; i++) {
      r -= weights[i] ?? 0;
      if (r < 0) return items[i] as T;
    }
    const last = items[items.length - 1];
    if (last === undefined) throw new Error("Rng.weighted: empty array");
    return last;
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) s += this.nextU32().toString(16).padStart(8, "0");
    return s.slice(0, n);
  }

  /** Fisher–Yates shuffle of a copy. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const a = out[i] as T;
      out[i] = out[j] as T;
      out[j] = a;
    }
    return out;
  }

  /** An independent stream named by `label` (does not advance this stream). */
  fork(label: string | number): Rng {
    const h = typeof label === "number" ? mixSeeds(label >>> 0, 0x27d4eb2f) : hashString(label);
    return new Rng(mixSeeds(this.seed, h));
  }
}

/** Logistic sigmoid. */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
