/**
 * The project's one source of seeded pseudo-random numbers: parameter inits, MSN masks, the loaders'
 * shuffles, splits and augmentations, the evaluation's bootstraps and the synthetic cohort all draw from
 * `Rng`. Never `Math.random`: every draw is a function of the seed alone.
 *
 * The generator is splitmix32: a 32-bit Weyl sequence (`s += 0x9e3779b9`, an odd constant) passed through
 * the murmur3 finaliser. Why this one:
 * - every seed has the full period of 2^32 draws (the increment is odd), and the finaliser is a bijection
 *   with full avalanche, so each uint32 value occurs exactly once per period and streams from neighbouring
 *   seeds (0, 1, 2, …) are decorrelated. mulberry32, which the library used before, has the same period but
 *   a weaker, non-bijective output mix (about 44% of the 2^32 values occur), and its streams from
 *   consecutive seeds were correlated enough to flip a property of the synthetic images
 *   (test/synth/findings.test.ts, support devices, seeds 0–15);
 * - it is the synthetic cohort's generator since its first version, so the cohort's files did not change
 *   when the library moved to it;
 * - the state is one uint32 (`state`), so a training run checkpoints and resumes its stream;
 * - it is a few lines of 32-bit integer arithmetic, easy to reproduce bit for bit elsewhere.
 * Its limit: with 32 bits of state every seed is a starting point on the same single cycle, so long streams
 * from many seeds can overlap. That is fine for initialisation, augmentation and resampling; it is not
 * cryptographic. (The PyTorch parity tests generate their inputs with their own mulberry32 twin,
 * test/helpers/mulberry32.ts, which matches test/reference/torch_reference.py.)
 *
 * Independent sub-streams come from `fork(label)`, which mixes the label into the stream's seed
 * without advancing it, so adding a draw in one part of a program does not shift every later draw
 * elsewhere. `deriveSeed` does the same for integer coordinates (seed, epoch, image index) in the loaders.
 *
 * @example
 * const rng = new Rng(24);
 * rng.next();                 // uniform in [0, 1)
 * rng.int(10);                // integer in [0, 10)
 * rng.fork("mimic").normal(); // an independent stream
 */

/** Name of the generator behind {@link Rng}, recorded in checkpoints and caches that depend on its stream. */
export const RNG_ALGORITHM = "splitmix32";

/** A seeded generator (splitmix32). State is one uint32, so `state` makes it resumable. */
export class Rng {
  private s: number;
  /** The seed this stream started from, as a uint32; `fork` derives from it. */
  readonly seed: number;

  /** @param seed any integer (reduced to 32 bits); equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.seed = Math.trunc(seed) >>> 0;
    this.s = this.seed;
  }

  /** The next uint32. */
  nextUint32(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b); // murmur3 finaliser
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [lo, hi); `uniform()` is `next()`. */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Uniform integer: `int(n)` in [0, n), `int(lo, hi)` in [lo, hi) (hi excluded in both).
   * @example rng.int(6) + 1 // a die
   */
  int(a: number, b?: number): number {
    return b === undefined ? Math.floor(this.next() * a) : a + Math.floor(this.next() * (b - a));
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Normal draw (Box–Muller, one value per call); `normal()` is a standard normal. */
  normal(mean = 0, sd = 1): number {
    const u = 1 - this.next();
    const v = this.next();
    // The standard case returns the draw itself (a −0 stays −0); scaled, sd multiplies first, as the
    // synthetic cohort has always computed it (the cohort's files depend on the rounding).
    if (mean === 0 && sd === 1) return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Poisson draw (Knuth's method; for small means). */
  poisson(mean: number): number {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Exponential draw with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error("Rng.pick: empty array");
    return item;
  }

  /** One element of `items` with probability proportional to `weights`. */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
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
    while (s.length < n) s += this.nextUint32().toString(16).padStart(8, "0");
    return s.slice(0, n);
  }

  /** Current state, for checkpoints. */
  get state(): number {
    return this.s;
  }

  /** Restore a state saved with `state` (`seed`, and so `fork`, keep the constructor's seed). */
  set state(v: number) {
    this.s = v >>> 0;
  }

  /** Fisher–Yates shuffle of `a` (an array or typed array) in place; returns `a`. Shuffle a copy with `rng.shuffle(a.slice())`. */
  shuffle<A extends { length: number; [i: number]: unknown }>(a: A): A {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
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

  /**
   * An independent stream named by `label`, seeded from this stream's seed and the label; it does not
   * advance this stream, so `rng.fork("x")` gives the same stream however many draws came before.
   */
  fork(label: string | number): Rng {
    const h = typeof label === "number" ? mixSeeds(label >>> 0, 0x27d4eb2f) : hashString(label);
    return new Rng(mixSeeds(this.seed, h));
  }
}

/** A bare draw function: uniform floats in [0, 1). What the image augmentations (data-loaders/views.ts) take. */
export type RngFn = () => number;

/**
 * The stream of `new Rng(seed)` as a bare function: `makeRng(s)()` equals `new Rng(s).next()`.
 * @example const r = makeRng(24); r(); // 0.x, identical on every run
 */
export function makeRng(seed: number): RngFn {
  const g = new Rng(seed);
  return () => g.next();
}

/** FNV-1a 32-bit hash of a string's UTF-16 code units; turns `fork` labels into seeds. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Mix two 32-bit words into one (a pre-mixed `b` xor `a`, through the murmur3 finaliser); `fork` uses it. */
export function mixSeeds(a: number, b: number): number {
  let h = (a ^ Math.imul(b ^ (b >>> 16), 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A seed for one item of a seeded process, from its base seed and integer coordinates.
 * @example new Rng(deriveSeed(24, epoch)).shuffle(order); writeMsnViews(img, deriveSeed(24, epoch, index), ...)
 */
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
