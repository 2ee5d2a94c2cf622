/**
 * L2-regularised logistic regression by full-batch gradient descent on standardised features: small,
 * dependency-free and plenty for a signal check with ~100 features and a few thousand rows.
 */


/** A fitted model: standardisation plus weights. */
export interface LogisticModel {
  mean: Float64Array;
  scale: Float64Array;
  weights: Float64Array;
  bias: number;
}

/** Fitting options. */
export interface LogisticOptions {
  /** L2 penalty on the (standardised) weights. Default 1e-2. */
  l2?: number;
  /** Gradient steps. Default 300. */
  iterations?: number;
  /** Step size. Default 0.5. */
  learningRate?: number;
}

/**
 * Fit a binary logistic regression.
 *
 * @param X rows of equal length
 * @param y 0/1 targets, one per row
 * @example
 * const m = fitLogistic([[0], [1], [2], [3]], [0, 0, 1, 1]);
 * predictLogistic(m, [[3]])[0]; // > 0.5
 */
export function fitLogistic(X: readonly Float64Array[] | readonly number[][], y: ArrayLike<number>, opts: LogisticOptions = {}): LogisticModel {
  const n = X.length;
  const d = n > 0 ? X[0]!.length : 0;
  const l2 = opts.l2 ?? 1e-2, iters = opts.iterations ?? 300, lr = opts.learningRate ?? 0.5;
  const mean = new Float64Array(d), scale = new Float64Array(d);
  for (const row of X) for (let j = 0; j < d; j++) mean[j]! += row[j]! / n;
  for (const row of X) for (let j = 0; j < d; j++) scale[j]! += (row[j]! - mean[j]!) ** 2 / n;
  for (let j = 0; j < d; j++) scale[j] = Math.sqrt(scale[j]!) || 1;
  const Z = X.map((row) => {
    const z = new Float64Array(d);
    for (let j = 0; j < d; j++) z[j] = (row[j]! - mean[j]!) / scale[j]!;
    return z;
  });
  const w = new Float64Array(d);
  let b = 0;
  const g = new Float64Array(d);
  for (let it = 0; it < iters; it++) {
    g.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      const z = Z[i]!;
      let s = b;
      for (let j = 0; j < d; j++) s += w[j]! * z[j]!;
      const r = 1 / (1 + Math.exp(-s)) - y[i]!;
      gb += r;
      for (let j = 0; j < d; j++) g[j]! += r * z[j]!;
    }
    for (let j = 0; j < d; j++) w[j]! -= lr * (g[j]! / n + l2 * w[j]!);
    b -= (lr * gb) / n;
  }
  return { mean, scale, weights: w, bias: b };
}

/** Predicted probabilities for rows of features. */
export function predictLogistic(m: LogisticModel, X: readonly Float64Array[] | readonly number[][]): Float64Array {
  const out = new Float64Array(X.length);
  X.forEach((row, i) => {
    let s = m.bias;
    for (let j = 0; j < m.weights.length; j++) s += (m.weights[j]! * (row[j]! - m.mean[j]!)) / m.scale[j]!;
    out[i] = 1 / (1 + Math.exp(-s));
  });
  return out;
}
