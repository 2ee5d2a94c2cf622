/**
 * A small seeded pseudo-random generator for evaluation (bootstrap resampling, label-fraction subsets,
 * probe initialisation and shuffling). It is local to `src/eval/` on purpose so evaluation results do not
 * change when other modules change their generators.
 *
 * Algorithm: mulberry32 (a 32-bit state, 32-bit output mixer), written from its published description.
 */

/** A seeded stream of uniform numbers; equal seeds give equal streams. */
export class EvalRng {
  private state: number;

  /**
   * @param seed any integer (taken modulo 2^32).
   * @example const rng = new EvalRng(24); rng.int(10); // an integer in [0, 10)
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`EvalRng: seed must be a finite number, got ${seed}`);
    this.state = Math.trunc(seed) >>> 0;
  }

  /** The next uniform uint32. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32 (multiply-shift; bias below 2^-32 · n). */
  int(n: number): number {
    return Math.floor((this.nextUint32() / 4294967296) * n);
  }

  /** Standard normal draw (Box–Muller, one value per call). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle of `a` in place; returns `a`. */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i]!;
      a[i] = a[j]!;
      a[j] = tmp;
    }
    return a;
  }

  /** `k` distinct indices from [0, n), in increasing order (a seeded subsample without replacement). */
  sample(n: number, k: number): Int32Array {
    if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`EvalRng.sample: need 0 <= k <= n, got k=${k}, n=${n}`);
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    // Partial Fisher–Yates: the first k slots become a uniform sample.
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const tmp = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = tmp;
    }
    return idx.subarray(0, k).sort();
  }
}
