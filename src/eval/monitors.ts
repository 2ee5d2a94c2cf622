/**
 * Collapse and quality monitors for self-supervised pretraining (issue 20), on plain typed arrays: no tensors.
 *
 * - `effectiveRank`: RankMe (Garrido et al. 2023), the entropy-based effective rank of the feature matrix.
 * - `featureStd`: per-dimension std of L2-normalised features against 1/√d (SimSiam's collapse check).
 * - `prototypeUsage`: entropy of MSN prototype assignments and how many prototypes are used.
 * - `knnMacroAuroc`: DINO-style weighted k-NN on cosine similarity, scored by macro AUROC.
 *
 * Feature matrices are row-major, one sample per row: `features[i * d + j]`, shape [n, d].
 * Everything is computed in float64.
 */
import { checkInt, checkNumber, checkOptionKeys } from "../utils/validate.js";
import { macroAuroc } from "./metrics.js";

/** ε added to each normalised singular value in RankMe. */
const RANKME_EPS = 1e-7;
/** Norm floor of the L2 normalisation (as torch.nn.functional.normalize). */
const NORM_EPS = 1e-12;

function checkMatrix(x: ArrayLike<number>, n: number, d: number, where: string, minN = 1): void {
  checkInt(n, `${where}: n`, minN);
  checkInt(d, `${where}: d`, 1);
  if (x.length !== n * d) throw new Error(`${where}: expected ${n}×${d} = ${n * d} values, got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!)) throw new Error(`${where}: value ${i} is not finite (${x[i]})`);
  }
}

/**
 * Eigenvalues of a symmetric matrix by the cyclic Jacobi method (eigenvalues only, no vectors).
 * @param a symmetric matrix, row-major, shape [d, d]; overwritten.
 * @returns the d eigenvalues, unsorted.
 */
function jacobiEigenvalues(a: Float64Array, d: number): Float64Array {
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += Math.abs(a[p * d + q]!);
    if (off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        const app = a[p * d + p]!;
        const aqq = a[q * d + q]!;
        const g = 100 * Math.abs(apq);
        // Negligible off-diagonal element (Numerical Recipes' criterion, robust to rounding).
        if (sweep > 3 && Math.abs(app) + g === Math.abs(app) && Math.abs(aqq) + g === Math.abs(aqq)) {
          a[p * d + q] = 0;
          a[q * d + p] = 0;
          continue;
        }
        if (apq === 0) continue;
        const h = aqq - app;
        let t: number;
        if (Math.abs(h) + g === Math.abs(h)) {
          t = apq / h;
        } else {
          const theta = (0.5 * h) / apq;
          t = 1 / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
          if (theta < 0) t = -t;
        }
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        const tau = s / (1 + c);
        a[p * d + p] = app - t * apq;
        a[q * d + q] = aqq + t * apq;
        a[p * d + q] = 0;
        a[q * d + p] = 0;
        for (let r = 0; r < d; r++) {
          if (r === p || r === q) continue;
          const arp = a[r * d + p]!;
          const arq = a[r * d + q]!;
          const np = arp - s * (arq + arp * tau);
          const nq = arq + s * (arp - arq * tau);
          a[r * d + p] = np;
          a[p * d + r] = np;
          a[r * d + q] = nq;
          a[q * d + r] = nq;
        }
      }
    }
  }
  const ev = new Float64Array(d);
  for (let i = 0; i < d; i++) ev[i] = a[i * d + i]!;
  return ev;
}

/**
 * RankMe effective rank (Garrido et al. 2023) of a feature matrix: with σ the singular values of X,
 * p_k = σ_k / Σσ + ε (ε = 1e-7), erank = exp(−Σ_k p_k log p_k). Ranges from ≈1 (collapsed) to min(n, d).
 * σ = √eig(XᵀX), the eigenvalues of the d×d Gram matrix from a symmetric Jacobi solver in float64
 * (meant for d ≤ 512; cost O(n·d² + sweeps·d³)).
 * @param features row-major, shape [n, d].
 * @param n number of samples (rows).
 * @param d feature dimension (columns).
 * @returns the effective rank; 1 for an all-zero matrix is not defined, so that case throws.
 * @example effectiveRank(new Float32Array([1, 0, 0, 1]), 2, 2); // ≈ 2
 */
export function effectiveRank(features: Float32Array, n: number, d: number): number {
  checkMatrix(features, n, d, "effectiveRank");
  // Gram matrix XᵀX, shape [d, d], float64.
  const gram = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = features[i * d + j]!;
    for (let a = 0; a < d; a++) {
      const xa = row[a]!;
      if (xa === 0) continue;
      const base = a * d;
      for (let b = a; b < d; b++) gram[base + b] += xa * row[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a + 1; b < d; b++) gram[b * d + a] = gram[a * d + b]!;
  const ev = jacobiEigenvalues(gram, d);
  // Singular values, shape [d]; tiny negative eigenvalues from rounding are clamped to 0.
  let total = 0;
  for (let k = 0; k < d; k++) {
    ev[k] = Math.sqrt(Math.max(ev[k]!, 0));
    total += ev[k]!;
  }
  if (total === 0) throw new Error("effectiveRank: the feature matrix is all zeros");
  let h = 0;
  for (let k = 0; k < d; k++) {
    const p = ev[k]! / total + RANKME_EPS;
    h -= p * Math.log(p);
  }
  return Math.exp(h);
}

/**
 * SimSiam's collapse check: L2-normalise each sample (norm floored at 1e-12), take the std of each
 * dimension over samples (unbiased, n − 1, as torch's `std`), and average over dimensions. Healthy
 * features sit near `reference` = 1/√d; collapsed ones near 0.
 * @param features row-major, shape [n, d]; n ≥ 2.
 * @param n number of samples.
 * @param d feature dimension.
 * @returns `meanStd` (mean over d of the per-dimension std) and `reference` = 1/√d.
 * @example featureStd(new Float32Array([1, 0, 0, 1]), 2, 2); // { meanStd: 0.7071…, reference: 0.7071… }
 */
export function featureStd(features: Float32Array, n: number, d: number): { meanStd: number; reference: number } {
  checkMatrix(features, n, d, "featureStd", 2);
  // The L2-normalised features, [n, d] in float64, then a two-pass per-column variance.
  const x = new Float64Array(n * d);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    let ss = 0;
    for (let j = 0; j < d; j++) ss += features[i * d + j]! ** 2;
    const inv = 1 / Math.max(Math.sqrt(ss), NORM_EPS);
    for (let j = 0; j < d; j++) mean[j] += (x[i * d + j] = features[i * d + j]! * inv);
  }
  for (let j = 0; j < d; j++) mean[j] = mean[j]! / n;
  const z = new Float64Array(d); // sums of squared deviations, [d]
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) z[j] += (x[i * d + j]! - mean[j]!) ** 2;
  let acc = 0;
  for (let j = 0; j < d; j++) acc += Math.sqrt(z[j]! / (n - 1));
  return { meanStd: acc / d, reference: 1 / Math.sqrt(d) };
}

/**
 * Prototype-assignment statistics of MSN: how sharp each assignment is and how evenly the prototypes are used.
 * Rows are taken as given (not renormalised); 0·log 0 = 0; logs are natural (nats).
 * @param probs assignment probabilities, row-major, shape [n, k]; non-negative.
 * @param n number of samples.
 * @param k number of prototypes.
 * @returns `meanEntropy` = mean_i H(p_i); `entropyOfMean` = H(mean_i p_i) (≤ log k; low = few prototypes used);
 *   `inUse` = number of prototypes that are the argmax (first index on ties) of at least one sample.
 * @example prototypeUsage(new Float32Array([1, 0, 0, 1]), 2, 2); // { meanEntropy: 0, entropyOfMean: 0.693…, inUse: 2 }
 */
export function prototypeUsage(
  probs: Float32Array,
  n: number,
  k: number,
): { meanEntropy: number; entropyOfMean: number; inUse: number } {
  checkMatrix(probs, n, k, "prototypeUsage");
  const meanP = new Float64Array(k); // shape [k]
  const used = new Uint8Array(k); // shape [k]
  let hSum = 0;
  for (let i = 0; i < n; i++) {
    let h = 0;
    let best = 0;
    for (let j = 0; j < k; j++) {
      const p = probs[i * k + j]!;
      if (p < 0) throw new Error(`prototypeUsage: probs[${i}, ${j}] = ${p} is negative`);
      if (p > 0) h -= p * Math.log(p);
      meanP[j] += p;
      if (p > probs[i * k + best]!) best = j;
    }
    hSum += h;
    used[best] = 1;
  }
  let hMean = 0;
  let inUse = 0;
  for (let j = 0; j < k; j++) {
    const p = meanP[j]! / n;
    if (p > 0) hMean -= p * Math.log(p);
    inUse += used[j]!;
  }
  return { meanEntropy: hSum / n, entropyOfMean: hMean, inUse };
}

/** A labelled feature set for `knnMacroAuroc`. */
export interface KnnSplit {
  /** Row-major features, shape [n, dim]. */
  features: Float32Array;
  /** Row-major 0/1 labels with NaN = missing, shape [n, numLabels]. */
  labels: Float32Array | Float64Array;
  /** Number of samples. */
  n: number;
  /** Feature dimension. */
  dim: number;
}

/** Options of `knnMacroAuroc`. */
export interface KnnOptions {
  /** Neighbours per test sample (clamped to the train size); default 20. */
  k?: number;
  /** Temperature of the exp(sim / T) neighbour weights; default 0.07. */
  temperature?: number;
}

/**
 * DINO-style weighted k-NN evaluation on cosine similarity, scored by macro AUROC.
 * For each test sample, the k train samples of highest cosine similarity (ties: lower index first) vote with
 * weight w = exp(sim / T); the score of label j is Σ w·y_j / Σ w over those neighbours whose label j is known
 * (a NaN train label gets weight 0 for that label only; 0 when all k are missing).
 * Macro AUROC is `macroAuroc` of src/eval/metrics.ts: NaN test labels are ignored and labels with one class
 * are excluded.
 * @param train reference set, features shape [n, dim], labels shape [n, L].
 * @param test evaluated set, features shape [m, dim], labels shape [m, L].
 * @returns `macroAuroc` (NaN when no label has both classes), the averaged label indices `labels`, and the
 *   k-NN `scores`, row-major shape [m, L].
 */
export function knnMacroAuroc(
  train: KnnSplit,
  test: KnnSplit,
  opts: KnnOptions = {},
): { macroAuroc: number; labels: number[]; scores: Float64Array } {
  checkOptionKeys(opts, ["k", "temperature"], "knnMacroAuroc");
  const kOpt = checkInt(opts.k ?? 20, "knnMacroAuroc: k", 1);
  const temp = checkNumber(opts.temperature ?? 0.07, "knnMacroAuroc: temperature", Number.MIN_VALUE);
  checkMatrix(train.features, train.n, train.dim, "knnMacroAuroc: train");
  checkMatrix(test.features, test.n, test.dim, "knnMacroAuroc: test");
  if (train.dim !== test.dim) throw new Error(`knnMacroAuroc: train dim ${train.dim} ≠ test dim ${test.dim}`);
  const L = train.labels.length / train.n;
  if (!Number.isInteger(L) || L < 1) throw new Error(`knnMacroAuroc: train labels (${train.labels.length}) are not n × L`);
  if (test.labels.length !== test.n * L) {
    throw new Error(`knnMacroAuroc: test labels (${test.labels.length}) are not ${test.n} × ${L}`);
  }
  const d = train.dim;
  const normed = (s: KnnSplit): Float64Array => {
    const out = new Float64Array(s.n * d); // shape [n, d]
    for (let i = 0; i < s.n; i++) {
      let ss = 0;
      for (let j = 0; j < d; j++) ss += s.features[i * d + j]! ** 2;
      const inv = 1 / Math.max(Math.sqrt(ss), NORM_EPS);
      for (let j = 0; j < d; j++) out[i * d + j] = s.features[i * d + j]! * inv;
    }
    return out;
  };
  const xtr = normed(train);
  const xte = normed(test);
  const k = Math.min(kOpt, train.n);
  const scores = new Float64Array(test.n * L); // shape [m, L]
  const topSim = new Float64Array(k);
  const topIdx = new Int32Array(k);
  const num = new Float64Array(L);
  const den = new Float64Array(L);
  for (let t = 0; t < test.n; t++) {
    let filled = 0;
    for (let i = 0; i < train.n; i++) {
      let sim = 0;
      for (let j = 0; j < d; j++) sim += xte[t * d + j]! * xtr[i * d + j]!;
      if (filled === k && sim <= topSim[k - 1]!) continue;
      // Insertion into the descending top-k list; equal similarities keep the earlier index first.
      let pos = filled < k ? filled++ : k - 1;
      while (pos > 0 && topSim[pos - 1]! < sim) {
        topSim[pos] = topSim[pos - 1]!;
        topIdx[pos] = topIdx[pos - 1]!;
        pos--;
      }
      topSim[pos] = sim;
      topIdx[pos] = i;
    }
    num.fill(0);
    den.fill(0);
    const top = topSim[0]!; // weights shifted by the largest similarity: same ratios, no overflow
    for (let r = 0; r < k; r++) {
      const w = Math.exp((topSim[r]! - top) / temp);
      const base = topIdx[r]! * L;
      for (let l = 0; l < L; l++) {
        const y = train.labels[base + l]!;
        if (Number.isNaN(y)) continue;
        num[l] += w * y;
        den[l] += w;
      }
    }
    for (let l = 0; l < L; l++) scores[t * L + l] = den[l]! > 0 ? num[l]! / den[l]! : 0;
  }
  const yTest = test.labels instanceof Float64Array ? test.labels : Float64Array.from(test.labels);
  const m = macroAuroc(yTest, scores, L);
  return { macroAuroc: m.value, labels: m.labels, scores };
}
