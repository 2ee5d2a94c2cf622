/**
 * Multivariate imputation by chained regressions, after scikit-learn's `IterativeImputer` with the settings
 * of the official EHR prep (CXR-EHR-MSN `EHR-data-prep.ipynb`: `IterativeImputer(estimator=
 * RandomForestRegressor(), max_iter=10, random_state=24)`) and its other defaults: `initial_strategy="mean"`,
 * `imputation_order="ascending"`, `n_nearest_features=None`, `sample_posterior=False`, `tol=1e-3`,
 * `min_value=-inf`, `max_value=inf`, `skip_complete=False`, `keep_empty_features=False`.
 *
 * 1. Missing values (NaN) start as their column's observed mean.
 * 2. Columns with missing values are visited in ascending order of their number of missing values (stable:
 *    ties keep column order). For each, a fresh estimator is fitted to the rows where the column is observed,
 *    with all the other columns (current values, imputed ones included) as predictors, and predicts the
 *    column's missing rows; predictions are clipped to [minValue, maxValue]. scikit-learn also fits an
 *    estimator for each complete column and never uses it; that fit is skipped here (same result).
 * 3. A round is one visit of every such column; at most `maxIter` rounds. After each round, the change is
 *    `max over rows of Σ |new − previous|` over the columns (NumPy's `norm(ord=inf)` of the difference, a
 *    matrix norm: the largest row sum). Below `tol × max |observed value|`, it stops (converged).
 * Edge cases as scikit-learn: a column with no observed value is not used (scikit-learn drops it from the
 * output; it stays NaN here); with `maxIter` 0, no missing value, or a single usable column, the result is
 * the mean fill. The estimator of a round and column is seeded with `deriveSeed(seed, round, column)`
 * (src/utils/rng.ts). The official imputer leaves its forests unseeded (only the imputer has
 * `random_state=24`), so its own output varies from run to run; bit parity is not a goal, agreement is
 * measured in test/data-loaders/iterative_imputer.test.ts.
 */
import { deriveSeed } from "../src/utils/rng.js";
import { checkInt, checkNumber, checkOptionKeys } from "../src/utils/validate.js";
import { RandomForestRegressor } from "./random_forest.js";

/** A regression model: fit on `rows × cols` row-major predictors and targets `y`, then predict. */
export interface Regressor {
  fit(x: ArrayLike<number>, rows: number, cols: number, y: ArrayLike<number>): unknown;
  predict(x: ArrayLike<number>, rows: number): ArrayLike<number>;
}

/** Options of {@link iterativeImpute}. Unknown keys throw. */
export interface IterativeImputeOptions {
  /** Most rounds (`max_iter`). Default 10. */
  readonly maxIter?: number;
  /** Seed of the estimators (the official `random_state`). Default 24. */
  readonly seed?: number;
  /** A fresh estimator for a round and column, given its seed. Default: `new RandomForestRegressor({ seed })` (100 trees). */
  readonly estimator?: (seed: number) => Regressor;
  /** Early-stop tolerance, relative to the largest observed absolute value. Default 1e-3. */
  readonly tol?: number;
  /** Lower clip of the predictions, one for all columns or one per column. Default −∞. */
  readonly minValue?: number | readonly number[];
  /** Upper clip of the predictions. Default +∞. */
  readonly maxValue?: number | readonly number[];
}

const IMPUTE_KEYS = ["maxIter", "seed", "estimator", "tol", "minValue", "maxValue"];

/** Result of {@link iterativeImpute}. */
export interface IterativeImputeResult {
  /** The matrix with every missing value filled (a column with no observed value stays NaN). */
  readonly imputed: number[][];
  /** Rounds run (scikit-learn's `n_iter_`; 0 when only the mean fill was applied). */
  readonly rounds: number;
  /** Whether the change of the last round fell below the tolerance. */
  readonly converged: boolean;
  /** The columns in the order they were imputed each round. */
  readonly order: readonly number[];
}

function limits(v: number | readonly number[] | undefined, cols: number, fallback: number, name: string): number[] {
  if (v === undefined) return Array<number>(cols).fill(fallback);
  if (typeof v === "number") return Array<number>(cols).fill(v);
  if (v.length !== cols) throw new Error(`iterativeImpute: ${name} has ${v.length} values, the matrix ${cols} columns`);
  return [...v];
}

/**
 * Fill the NaNs of `matrix` (rows of equal length; ±Infinity is refused) by chained regressions (see the
 * file header). The input is not modified.
 * @example
 * iterativeImpute([[0, 0], [1, 2], [2, 4], [1, NaN]], { estimator: (seed) => new RandomForestRegressor({ seed, bootstrap: false }) }).imputed[3] // [1, 2]
 */
export function iterativeImpute(matrix: readonly (readonly number[])[], opts: IterativeImputeOptions = {}): IterativeImputeResult {
  checkOptionKeys(opts, IMPUTE_KEYS, "iterativeImpute");
  const maxIter = checkInt(opts.maxIter ?? 10, "iterativeImpute maxIter", 0);
  const seed = opts.seed ?? 24;
  const tol = checkNumber(opts.tol ?? 1e-3, "iterativeImpute tol", 0);
  const makeEstimator = opts.estimator ?? ((s: number) => new RandomForestRegressor({ seed: s }));
  const n = matrix.length;
  const p = n > 0 ? matrix[0]!.length : 0;
  const lo = limits(opts.minValue, p, -Infinity, "minValue");
  const hi = limits(opts.maxValue, p, Infinity, "maxValue");
  for (let j = 0; j < p; j++) if (!(hi[j]! > lo[j]!)) throw new Error(`iterativeImpute: column ${j} has minValue ≥ maxValue`);

  // Step 1: column-major copy, missing mask, mean fill.
  const X = Array.from({ length: p }, () => new Float64Array(n));
  const missing = Array.from({ length: p }, () => new Uint8Array(n));
  const nMissing = new Array<number>(p).fill(0);
  let maxAbs = 0;
  matrix.forEach((row, i) => {
    if (row.length !== p) throw new Error(`iterativeImpute: row ${i} has ${row.length} values, row 0 has ${p}`);
    row.forEach((v, j) => {
      if (Number.isNaN(v)) {
        missing[j]![i] = 1;
        nMissing[j]!++;
      } else if (!Number.isFinite(v)) throw new Error(`iterativeImpute: row ${i}, column ${j} is ${v}; only finite values or NaN`);
      else maxAbs = Math.max(maxAbs, Math.abs(v));
      X[j]![i] = v;
    });
  });
  const usable: number[] = [];
  for (let j = 0; j < p; j++) {
    if (nMissing[j] === n) continue; // no observed value: not used, stays NaN
    usable.push(j);
    let sum = 0;
    for (let i = 0; i < n; i++) if (!missing[j]![i]) sum += X[j]![i]!;
    const mean = sum / (n - nMissing[j]!);
    for (let i = 0; i < n; i++) if (missing[j]![i]) X[j]![i] = mean;
  }
  const result = (rounds: number, converged: boolean, order: readonly number[]): IterativeImputeResult => ({
    imputed: Array.from({ length: n }, (_, i) => Array.from({ length: p }, (_, j) => X[j]![i]!)),
    rounds,
    converged,
    order,
  });
  // Step 2: ascending order by missing count (stable), over the usable columns with missing values.
  const order = usable.filter((j) => nMissing[j]! > 0).sort((a, b) => nMissing[a]! - nMissing[b]! || a - b);
  if (maxIter === 0 || order.length === 0 || usable.length < 2) return result(0, false, order);

  // Step 3: rounds of chained regressions.
  const normalizedTol = tol * maxAbs;
  let previous = X.map((c) => c.slice());
  for (let round = 1; round <= maxIter; round++) {
    for (const j of order) {
      const others = usable.filter((k) => k !== j);
      const m = others.length;
      const miss = missing[j]!;
      const nTest = nMissing[j]!;
      const nTrain = n - nTest;
      const xTrain = new Float64Array(nTrain * m);
      const yTrain = new Float64Array(nTrain);
      const xTest = new Float64Array(nTest * m);
      const testRows = new Int32Array(nTest);
      let a = 0;
      let b = 0;
      for (let i = 0; i < n; i++) {
        if (miss[i]) {
          for (let k = 0; k < m; k++) xTest[b * m + k] = X[others[k]!]![i]!;
          testRows[b++] = i;
        } else {
          for (let k = 0; k < m; k++) xTrain[a * m + k] = X[others[k]!]![i]!;
          yTrain[a++] = X[j]![i]!;
        }
      }
      const est = makeEstimator(deriveSeed(seed, round, j));
      est.fit(xTrain, nTrain, m, yTrain);
      const pred = est.predict(xTest, nTest);
      for (let r = 0; r < nTest; r++) X[j]![testRows[r]!] = Math.min(hi[j]!, Math.max(lo[j]!, pred[r]!));
    }
    let change = 0;
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      for (const j of usable) rowSum += Math.abs(X[j]![i]! - previous[j]![i]!);
      change = Math.max(change, rowSum);
    }
    if (change < normalizedTol) return result(round, true, order);
    previous = X.map((c) => c.slice());
  }
  return result(maxIter, false, order);
}
