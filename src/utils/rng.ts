/**
 * Seeded pseudo-random numbers. mulberry32 is a 32-bit generator that is trivial to reproduce bit for bit in
 * Python (test/reference/torch_reference.py has the twin), so weights and inputs of the parity tests are
 * generated identically on both sides without shipping them.
 */

/** A seeded generator of uniform floats in [0, 1). State is one uint32, so `state`/`setState` make it resumable. */
export class Rng {
  private s: number;

  /** @param seed any integer; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.s = Math.trunc(seed) >>> 0;
  }

  /** The next uint32. */
  nextUint32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Standard normal (Box–Muller, one value per call). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Current state, for checkpoints. */
  get state(): number {
    return this.s;
  }

  /** Restore a state saved with `state`. */
  set state(v: number) {
    this.s = v >>> 0;
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
    if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`Rng.sample: need 0 <= k <= n, got k=${k}, n=${n}`);
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let i = 0; i < k; i++) {
      // partial Fisher–Yates: the first k slots become a uniform sample
      const j = i + this.int(n - i);
      const tmp = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = tmp;
    }
    return idx.subarray(0, k).sort();
  }

  /** `n` uniform floats in [lo, hi) as a Float32Array. */
  uniformArray(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }

  /** Truncated normal (std, cut at ±2 std) like timm's trunc_normal_, as a Float32Array. */
  truncNormalArray(n: number, std: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let z = this.normal();
      while (z < -2 || z > 2) z = this.normal();
      out[i] = z * std;
    }
    return out;
  }
}
