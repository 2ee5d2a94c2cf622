/**
 * Methods scored on the same test images over several pretraining seeds, with bootstrap resamples of the test
 * images shared by every method and seed:
 * - {@link seedMeanMacroAuroc}: a method's macro AUROC averaged over seeds, with its percentile interval;
 * - {@link pairedBootstrap}: the difference of two methods, Δ = mean over seeds s of (macro AUROC of A_s −
 *   macro AUROC of B_s). Every replicate scores every method and seed on one resample, so image-to-image
 *   difficulty cancels in Δ* and only the methods' disagreement is left.
 *
 * The test is pROC's bootstrap test (`roc.test(method = "bootstrap")`, Robin et al. 2011): D = Δ / sd(Δ*),
 * p = 2·Φ(−|D|). The interval is the percentile interval of Δ*. Replicates in which a label has one class are
 * dropped (the macro value is undefined there), as in the single-method bootstrap.
 */
import { drawCounts, prepare, quantileSorted, weightedMetrics, type Prepared } from "./bootstrap.js";
import { rankColumn, rankedMetrics } from "./ranking.js";
import { Rng } from "../utils/rng.js";
import { checkInt, checkNumber, checkOptionKeys } from "../utils/validate.js";

/** What {@link seedMeanMacroAuroc} and {@link pairedBootstrap} both return: plain numbers. */
export interface SeedBootstrap {
  /** The statistic of each seed on the full test set, in the order given. */
  readonly perSeed: readonly number[];
  /** Percentile interval of the statistic's replicates at `level`. */
  readonly ci: { readonly lo: number; readonly hi: number; readonly level: number };
  /** Replicates used (those where every averaged label has both classes). */
  readonly resamples: number;
  /** Test images. */
  readonly n: number;
  /** Averaged label indices: the labels with both classes on the full test set. */
  readonly labels: readonly number[];
}

/** Result of {@link pairedBootstrap}; `perSeed` holds macro AUROC A − macro AUROC B of each seed. */
export interface PairedComparison extends SeedBootstrap {
  /** Δ on the full test set: mean over seeds of (macro AUROC A − macro AUROC B). */
  readonly delta: number;
  /** sd of Δ* (the bootstrap standard error of Δ). */
  readonly se: number;
  /** pROC's statistic D = Δ / sd(Δ*). */
  readonly z: number;
  /** Two-sided p = 2·Φ(−|D|); 1 when A and B agree on every resample (sd 0, Δ 0). */
  readonly pValue: number;
}

/**
 * Standard normal CDF Φ(x), from erfc by the Chebyshev fit of Numerical Recipes (§6.2, `erfcc`; fractional
 * error < 1.2e-7 everywhere).
 */
export function normalCdf(x: number): number {
  if (x === 0) return 0.5;
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z - 1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - 0.5 * erfc : 0.5 * erfc;
}

/** Options of {@link seedMeanMacroAuroc} and {@link pairedBootstrap}. */
export interface BootstrapOptions {
  /** Bootstrap replicates; default 1000. */
  readonly resamples?: number;
  /** Seed of the image resampling; default 24. */
  readonly seed?: number;
  /** Level of the interval; default 0.95. */
  readonly level?: number;
}

/** The checked inputs and the macro AUROC of every score set, on the full test set and on shared resamples. */
interface Replicates {
  readonly n: number;
  readonly labels: number[];
  /** Macro AUROC of each score set on the full test set. */
  readonly full: number[];
  /** Σ_j weight_j · macro AUROC_j on each usable resample (those where every averaged label has both classes). */
  readonly samples: Float64Array;
  readonly level: number;
}

function replicates(fn: string, labels: ArrayLike<number>, sets: readonly { readonly name: string; readonly scores: ArrayLike<number>; readonly weight: number }[], numLabels: number, opts: BootstrapOptions): Replicates {
  checkOptionKeys(opts, ["resamples", "seed", "level"], fn);
  const resamples = checkInt(opts.resamples ?? 1000, `${fn}: resamples`, 1);
  const level = checkNumber(opts.level ?? 0.95, `${fn}: level`, 0, 1);
  const L = checkInt(numLabels, `${fn}: numLabels`, 1);
  const n = labels.length / L;
  if (!Number.isInteger(n) || n < 1) throw new Error(`${fn}: ${labels.length} labels are not n × ${L}`);
  for (const { name, scores } of sets) {
    if (scores.length !== n * L) throw new Error(`${fn}: ${name} has ${scores.length} scores, expected ${n} × ${L}`);
    for (let k = 0; k < scores.length; k++) if (Number.isNaN(scores[k]!)) throw new Error(`${fn}: ${name} score ${k} is NaN`);
  }
  const included: number[] = [];
  for (let l = 0; l < L; l++) {
    const r = rankColumn(labels, sets[0]!.scores, n, l, L);
    if (r.nPos > 0 && r.nNeg > 0) included.push(l);
  }
  if (included.length === 0) throw new Error(`${fn}: no label has both classes in the test set`);
  const out = new Float64Array(2);
  const full: number[] = [];
  const prepared: Prepared[][] = sets.map(({ scores }) => {
    let sum = 0;
    const p = included.map((l) => {
      const r = rankColumn(labels, scores, n, l, L);
      sum += rankedMetrics(r, undefined, out)[0]!;
      return prepare(r, n);
    });
    full.push(sum / included.length);
    return p;
  });
  const rng = new Rng(opts.seed ?? 24);
  const counts = new Int32Array(n);
  const samples: number[] = [];
  for (let b = 0; b < resamples; b++) {
    drawCounts(rng, counts);
    let v = 0;
    prepared.forEach((p, j) => {
      let sum = 0;
      for (const q of p) {
        weightedMetrics(q, counts, n, out);
        sum += out[0]!;
      }
      v += (sets[j]!.weight * sum) / p.length; // NaN when a label has one class in this resample
    });
    if (!Number.isNaN(v)) samples.push(v);
  }
  if (samples.length < 2) throw new Error(`${fn}: only ${samples.length} of ${resamples} resamples had both classes in every label; the test set is too small`);
  return { n, labels: included, full, samples: Float64Array.from(samples).sort(), level };
}

const interval = (r: Replicates) => ({ lo: quantileSorted(r.samples, (1 - r.level) / 2), hi: quantileSorted(r.samples, 1 - (1 - r.level) / 2), level: r.level });

/** Result of {@link seedMeanMacroAuroc}; `perSeed` holds each seed's macro AUROC, `ci` covers test-set sampling only. */
export interface SeedMeanAuroc extends SeedBootstrap {
  /** Macro AUROC averaged over seeds, on the full test set. */
  readonly value: number;
}

/**
 * A method's macro AUROC averaged over seeds, with a percentile bootstrap interval over test images (one resample
 * scores every seed). With one seed this is the usual macro AUROC and its percentile interval.
 * @param labels test labels, row-major [n, L], 0/1 with NaN = missing.
 * @param scores one row-major [n, L] score array per seed.
 * @throws when a score array has the wrong size or a NaN, or no label has both classes.
 * @example seedMeanMacroAuroc(test.labels, [seed24.logits, seed25.logits, seed26.logits], 14).value
 */
export function seedMeanMacroAuroc(labels: ArrayLike<number>, scores: readonly ArrayLike<number>[], numLabels: number, opts: BootstrapOptions = {}): SeedMeanAuroc {
  if (scores.length === 0) throw new Error("seedMeanMacroAuroc: give one score array per seed");
  const r = replicates("seedMeanMacroAuroc", labels, scores.map((s, i) => ({ name: `scores[${i}]`, scores: s, weight: 1 / scores.length })), numLabels, opts);
  return { value: r.full.reduce((t, v) => t + v, 0) / r.full.length, perSeed: r.full, ci: interval(r), resamples: r.samples.length, n: r.n, labels: r.labels };
}

/**
 * Paired bootstrap comparison of methods A and B on one test set (see the module comment).
 * @param labels test labels, row-major [n, L], 0/1 with NaN = missing.
 * @param a scores of method A, one row-major [n, L] array per seed (logits or probabilities: only ranks matter).
 * @param b scores of method B, one array per seed, the same seeds in the same order (seed s of A is paired with
 *   seed s of B: the same initial weights and data order).
 * @param numLabels L.
 * @returns Δ, its per-seed values, interval, standard error and p-value.
 * @throws when the seed counts differ, a score array has the wrong size or a NaN, or no label has both classes.
 * @example const c = pairedBootstrap(test.labels, [msnLogits], [randomLogits], 14); // c.delta, c.pValue
 */
export function pairedBootstrap(
  labels: ArrayLike<number>,
  a: readonly ArrayLike<number>[],
  b: readonly ArrayLike<number>[],
  numLabels: number,
  opts: BootstrapOptions = {},
): PairedComparison {
  if (a.length === 0 || a.length !== b.length) throw new Error(`pairedBootstrap: give one score array per seed for both methods (got ${a.length} and ${b.length})`);
  const S = a.length;
  const sets = [...a.map((s, i) => ({ name: `a[${i}]`, scores: s, weight: 1 / S })), ...b.map((s, i) => ({ name: `b[${i}]`, scores: s, weight: -1 / S }))];
  const r = replicates("pairedBootstrap", labels, sets, numLabels, opts);
  const perSeed = a.map((_, i) => r.full[i]! - r.full[S + i]!);
  const delta = perSeed.reduce((t, v) => t + v, 0) / S;
  const m = r.samples.reduce((t, v) => t + v, 0) / r.samples.length;
  const se = Math.sqrt(r.samples.reduce((t, v) => t + (v - m) ** 2, 0) / (r.samples.length - 1)); // R's sd(): n − 1
  const z = se > 0 ? delta / se : delta === 0 ? 0 : Math.sign(delta) * Infinity;
  return { delta, perSeed, ci: interval(r), se, z, pValue: Math.min(1, 2 * normalCdf(-Math.abs(z))), resamples: r.samples.length, n: r.n, labels: r.labels };
}
