/**
 * A small regression forest after scikit-learn's `RandomForestRegressor` defaults (the estimator of the
 * official EHR imputer, see data-loaders/iterative_imputer.ts): 100 trees, each grown to purity on a bootstrap
 * sample (n draws with replacement), squared-error splits over all features (`max_features=1.0`),
 * `min_samples_split=2`, `min_samples_leaf=1`, no depth limit; the prediction is the mean of the trees' leaf
 * means. As in scikit-learn, features are compared as float32, a threshold is the midpoint of two adjacent
 * distinct values (no split between values closer than 1e-7), a node whose weighted variance is ≤ 2^-52 is a
 * leaf, and bootstrap duplicates are sample weights. Ties between equally good splits go to the first found
 * (features in a random order, thresholds ascending).
 *
 * Two shortcuts, exact in law: rows with identical features are merged before growing a tree (their bootstrap
 * counts, Σw·y and Σw·y² add up; a tree can never separate them, so with `min_samples_leaf=1` the tree is the
 * same), and when rows fall into few (features, target) groups, as the two label-encoded scan columns do, a
 * bootstrap is one multinomial draw of the group counts ({@link binomial}) instead of n row draws. A forest on
 * 376k images then takes ~0.1 s instead of seconds. Seeded with the project's RNG (src/utils/rng.ts): tree t
 * draws from `new Rng(deriveSeed(seed, t))`; scikit-learn's streams differ, so single trees are not
 * bit-identical to its trees, only alike in law (test/data-loaders/iterative_imputer.test.ts).
 */
import { deriveSeed, Rng } from "../src/utils/rng.js";
import { checkInt, checkNumber, checkOptionKeys } from "../src/utils/validate.js";
import type { Regressor } from "./iterative_imputer.js";

/** Options of {@link RandomForestRegressor}; every default is scikit-learn's. Unknown keys throw. */
export interface RandomForestOptions {
  /** Number of trees (`n_estimators`). Default 100. */
  readonly nEstimators?: number;
  /** Fraction of the features tried at each split, in (0, 1] (`max_features`, float). Default 1. */
  readonly maxFeatures?: number;
  /** Grow each tree on a bootstrap sample of the rows. Default true. */
  readonly bootstrap?: boolean;
  /** Depth limit. Default unlimited. */
  readonly maxDepth?: number;
  /** Seed of the bootstraps and feature orders. Default 0. */
  readonly seed?: number;
}

const FOREST_KEYS = ["nEstimators", "maxFeatures", "bootstrap", "maxDepth", "seed"];
/** scikit-learn's FEATURE_THRESHOLD (no split between closer values) and EPSILON (a purer node is a leaf). */
const FEATURE_THRESHOLD = 1e-7;
const EPSILON = 2 ** -52;

/** One tree in flat arrays; `feature[k] < 0` marks a leaf with value `value[k]`. */
interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

/** Distinct float32 rows of a row-major matrix: the rows, and the distinct row of each input row. */
function distinctRows(x: ArrayLike<number>, rows: number, cols: number): { cells: Float32Array; count: number; cellOf: Int32Array } {
  const cellOf = new Int32Array(rows);
  const seen = new Map<number | string, number>();
  const f = new Float32Array(cols);
  const cells: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) f[j] = x[i * cols + j]!;
    const key = cols === 1 ? f[0]! : f.join(",");
    let c = seen.get(key);
    if (c === undefined) {
      c = seen.size;
      seen.set(key, c);
      for (let j = 0; j < cols; j++) cells.push(f[j]!);
    }
    cellOf[i] = c;
  }
  return { cells: Float32Array.from(cells), count: seen.size, cellOf };
}

/**
 * A seeded random forest of regression trees (see the file header).
 * @example
 * const rf = new RandomForestRegressor({ seed: 1 }).fit(Float64Array.of(0, 1, 2, 3), 4, 1, Float64Array.of(0, 0, 5, 5));
 * rf.predict(Float64Array.of(2.5), 1); // Float64Array [4.65]: some bootstrap samples hold only 0s and 1s
 * new RandomForestRegressor({ bootstrap: false }).fit(Float64Array.of(0, 1, 2, 3), 4, 1, Float64Array.of(0, 0, 5, 5)).predict(Float64Array.of(2.5), 1); // [5]
 */
export class RandomForestRegressor implements Regressor {
  private readonly nEstimators: number;
  private readonly maxFeatures: number;
  private readonly bootstrap: boolean;
  private readonly maxDepth: number;
  private readonly seed: number;
  private trees: Tree[] = [];
  private cols = 0;

  constructor(opts: RandomForestOptions = {}) {
    checkOptionKeys(opts, FOREST_KEYS, "RandomForestRegressor");
    this.nEstimators = checkInt(opts.nEstimators ?? 100, "RandomForestRegressor nEstimators", 1);
    this.maxFeatures = checkNumber(opts.maxFeatures ?? 1, "RandomForestRegressor maxFeatures", Number.MIN_VALUE, 1);
    this.bootstrap = opts.bootstrap ?? true;
    this.maxDepth = opts.maxDepth === undefined ? Infinity : checkInt(opts.maxDepth, "RandomForestRegressor maxDepth", 1);
    this.seed = opts.seed ?? 0;
  }

  /** Grow the trees on `x` (row-major, `rows × cols`, finite) and targets `y` (length `rows`). */
  fit(x: ArrayLike<number>, rows: number, cols: number, y: ArrayLike<number>): this {
    if (rows < 1 || cols < 1 || x.length !== rows * cols || y.length !== rows) {
      throw new Error(`RandomForestRegressor.fit: need rows ≥ 1, cols ≥ 1, x of rows×cols and y of rows values (got ${rows}×${cols}, ${x.length}, ${y.length})`);
    }
    this.cols = cols;
    const { cells, count, cellOf } = distinctRows(x, rows, cols);
    // Rows with the same features and target are interchangeable: group them. With few groups (categorical
    // data), a bootstrap is a multinomial draw of the groups' counts, exact in law and ~1000 draws instead of
    // `rows`; otherwise rows are drawn one by one.
    const groupOf = new Map<number, Map<number, number>>();
    const gCell: number[] = [];
    const gY: number[] = [];
    const gRows: number[] = [];
    for (let i = 0; i < rows; i++) {
      const c = cellOf[i]!;
      let byY = groupOf.get(c);
      if (byY === undefined) groupOf.set(c, (byY = new Map()));
      const g = byY.get(y[i]!);
      if (g !== undefined) gRows[g]!++;
      else {
        byY.set(y[i]!, gCell.length);
        gCell.push(c);
        gY.push(y[i]!);
        gRows.push(1);
      }
    }
    const byGroups = !this.bootstrap || gCell.length * 32 <= rows;
    const w = new Float64Array(count);
    const s = new Float64Array(count);
    const q = new Float64Array(count);
    const tryFeatures = Math.max(1, Math.floor(this.maxFeatures * cols));
    this.trees = [];
    for (let t = 0; t < this.nEstimators; t++) {
      const rng = new Rng(deriveSeed(this.seed, t));
      w.fill(0);
      s.fill(0);
      q.fill(0);
      const add = (c: number, v: number, n: number) => {
        w[c]! += n;
        s[c]! += n * v;
        q[c]! += n * v * v;
      };
      if (byGroups) {
        let draws = rows;
        let mass = rows;
        for (let g = 0; g < gCell.length && draws > 0; g++) {
          const n = !this.bootstrap ? gRows[g]! : g === gCell.length - 1 ? draws : binomial(rng, draws, gRows[g]! / mass);
          if (n > 0) add(gCell[g]!, gY[g]!, n);
          draws -= n;
          mass -= gRows[g]!;
        }
      } else {
        for (let k = 0; k < rows; k++) {
          const i = rng.int(rows);
          add(cellOf[i]!, y[i]!, 1);
        }
      }
      const live: number[] = [];
      for (let c = 0; c < count; c++) if (w[c]! > 0) live.push(c);
      this.trees.push(growTree(live, cells, cols, w, s, q, tryFeatures, this.maxDepth, rng));
    }
    return this;
  }

  /** Mean prediction of the trees for each row of `x` (row-major, `rows × cols` of the fit). */
  predict(x: ArrayLike<number>, rows: number): Float64Array {
    if (this.trees.length === 0) throw new Error("RandomForestRegressor.predict: call fit first");
    const cols = this.cols;
    if (x.length !== rows * cols) throw new Error(`RandomForestRegressor.predict: x has ${x.length} values, expected ${rows}×${cols}`);
    const out = new Float64Array(rows);
    if (rows === 0) return out;
    const { cells, count, cellOf } = distinctRows(x, rows, cols);
    const pred = new Float64Array(count);
    for (let c = 0; c < count; c++) {
      let sum = 0;
      for (const tree of this.trees) {
        let k = 0;
        while (tree.feature[k]! >= 0) k = cells[c * cols + tree.feature[k]!]! <= tree.threshold[k]! ? tree.left[k]! : tree.right[k]!;
        sum += tree.value[k]!;
      }
      pred[c] = sum / this.trees.length;
    }
    for (let i = 0; i < rows; i++) out[i] = pred[cellOf[i]!]!;
    return out;
  }
}

/** Gamma(shape ≥ 1, 1) draw (Marsaglia & Tsang, 2000). */
function gamma(rng: Rng, shape: number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = rng.normal();
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rng.next();
    if (u < 1 - 0.0331 * z ** 4 || Math.log(u) < 0.5 * z * z + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * Binomial(n, p) draw, exact in law in O(log n) draws: the a-th smallest of n uniforms is Beta(a, n + 1 − a); if
 * it is ≥ p, the count is Binomial(a − 1, p / it), otherwise a + Binomial(n − a, (p − it) / (1 − it)). Small n:
 * n Bernoulli trials.
 */
export function binomial(rng: Rng, n: number, p: number): number {
  let k = 0;
  while (n > 0 && p > 0 && p < 1) {
    if (n < 32) {
      for (let i = 0; i < n; i++) if (rng.next() < p) k++;
      return k;
    }
    const a = 1 + (n >> 1);
    const ga = gamma(rng, a);
    const x = ga / (ga + gamma(rng, n + 1 - a));
    if (x >= p) {
      n = a - 1;
      p /= x;
    } else {
      k += a;
      n -= a;
      p = (p - x) / (1 - x);
    }
  }
  return p >= 1 ? k + n : k;
}

/** Grow one tree depth-first over the distinct rows `live` (weights w, Σw·y s, Σw·y² q). */
function growTree(live: number[], x: Float32Array, cols: number, w: Float64Array, s: Float64Array, q: Float64Array, tryFeatures: number, maxDepth: number, rng: Rng): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const features = Array.from({ length: cols }, (_, j) => j);
  const grow = (node: number[], depth: number): number => {
    let W = 0;
    let S = 0;
    let Q = 0;
    for (const c of node) {
      W += w[c]!;
      S += s[c]!;
      Q += q[c]!;
    }
    const k = tree.value.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(S / W);
    if (depth >= maxDepth || node.length < 2 || Q / W - (S / W) ** 2 <= EPSILON) return k;
    let best = -Infinity;
    let bestFeature = -1;
    let bestThreshold = 0;
    let bestSorted: number[] = [];
    let bestP = 0;
    let tried = 0;
    rng.shuffle(features);
    for (const f of features) {
      if (tried >= tryFeatures) break;
      const sorted = node.slice().sort((a, b) => x[a * cols + f]! - x[b * cols + f]!);
      const xs = (i: number) => x[sorted[i]! * cols + f]!;
      if (xs(sorted.length - 1) <= xs(0) + FEATURE_THRESHOLD) continue; // constant here: does not count
      tried++;
      let WL = 0;
      let SL = 0;
      for (let p = 1; p < sorted.length; p++) {
        WL += w[sorted[p - 1]!]!;
        SL += s[sorted[p - 1]!]!;
        if (xs(p) <= xs(p - 1) + FEATURE_THRESHOLD) continue;
        const proxy = (SL * SL) / WL + ((S - SL) * (S - SL)) / (W - WL);
        if (proxy > best) {
          best = proxy;
          bestFeature = f;
          let th = xs(p - 1) / 2 + xs(p) / 2;
          if (th === xs(p) || !Number.isFinite(th)) th = xs(p - 1);
          bestThreshold = th;
          bestSorted = sorted;
          bestP = p;
        }
      }
    }
    if (bestFeature < 0) return k;
    tree.feature[k] = bestFeature;
    tree.threshold[k] = bestThreshold;
    tree.left[k] = grow(bestSorted.slice(0, bestP), depth + 1);
    tree.right[k] = grow(bestSorted.slice(bestP), depth + 1);
    return k;
  };
  grow(live, 0);
  return tree;
}
