/**
 * Bootstrap confidence intervals for per-label and macro AUROC/AUPRC (docs/protocol.md#bootstrap-intervals:
 * 1,000 resamples of the test set with replacement, `df.sample(frac=1, replace=True)`). Both the percentile
 * interval (the official code's `computing_confidence_intervals`, shown by default) and the basic interval (its
 * reflection about the point estimate) are computed.
 *
 * Speed: a resample is represented by per-row draw counts (multinomial weights), never materialised. Each
 * label column is sorted once (`rankColumn`); a resample is then two linear passes with integer weights: the
 * weighted totals (positives only, via a precomputed list), and one ascending pass over the sorted rows that
 * accumulates AUROC and AP per tie group. Duplicated rows in a materialised resample are exactly ties of equal
 * label, so the weighted metrics equal the metrics of the materialised resample.
 */
import type { BootstrapCi } from "./metrics.js";
import { Rng } from "../utils/rng.js";
import type { Ranking } from "./ranking.js";

/** Settings of {@link bootstrapMultilabel}. */
export interface BootstrapSettings {
  readonly resamples: number;
  readonly seed: number;
  /** Confidence level, e.g. 0.95. */
  readonly level: number;
  /** Point estimates, interleaved [auroc_0, auprc_0, auroc_1, auprc_1, …] per ranking. */
  readonly point: readonly number[];
  /** Macro point estimates [auroc, auprc]. */
  readonly macroPoint: readonly [number, number];
}

/** Intervals per ranking and for the macro means. */
export interface BootstrapResult {
  readonly perLabel: readonly { readonly auroc: BootstrapCi; readonly auprc: BootstrapCi }[];
  readonly macroAuroc: BootstrapCi;
  readonly macroAuprc: BootstrapCi;
  /** Raw resampled macro AUROC values (NaN where a label had one class in that resample). */
  readonly macroAurocSamples: Float64Array;
}

/** Precomputed per-label arrays for the weighted passes. */
export interface Prepared {
  readonly order: Int32Array;
  readonly isPos: Uint8Array;
  /** 1 at the last sorted position of every tie group. */
  readonly lastInGroup: Uint8Array;
  readonly posRows: Int32Array;
  readonly missingRows: Int32Array;
}

/** Precompute the arrays of one ranking for the weighted passes (exported for tests). */
export function prepare(r: Ranking, n: number): Prepared {
  const lastInGroup = new Uint8Array(r.order.length);
  for (let g = 1; g < r.groupStart.length; g++) lastInGroup[r.groupStart[g]! - 1] = 1;
  const posRows = new Int32Array(r.nPos); // sorted below, for sequential access in the totals pass
  let k = 0;
  const valid = new Uint8Array(n);
  for (let j = 0; j < r.order.length; j++) {
    valid[r.order[j]!] = 1;
    if (r.isPos[j] === 1) posRows[k++] = r.order[j]!;
  }
  posRows.sort();
  const missingRows = new Int32Array(r.nMissing);
  k = 0;
  for (let i = 0; i < n; i++) if (valid[i] === 0) missingRows[k++] = i;
  return { order: r.order, isPos: r.isPos, lastInGroup, posRows, missingRows };
}

/**
 * Weighted AUROC and AP of one prepared label under draw counts `w` (Σw = n; exported for tests). Writes [auroc, ap] to `out`,
 * NaN when the resample holds one class only.
 */
export function weightedMetrics(p: Prepared, w: Int32Array, n: number, out: Float64Array): void {
  let totPos = 0;
  for (let k = 0; k < p.posRows.length; k++) totPos += w[p.posRows[k]!]!;
  let totValid = n;
  for (let k = 0; k < p.missingRows.length; k++) totValid -= w[p.missingRows[k]!]!;
  const totNeg = totValid - totPos;
  if (totPos === 0 || totNeg === 0) {
    out[0] = NaN;
    out[1] = NaN;
    return;
  }
  const { order, isPos, lastInGroup } = p;
  // Integer accumulators (`| 0`) keep the loop in int32 arithmetic: counts are bounded by n < 2^31.
  let aucNum = 0;
  let apSum = 0;
  let posBelow = 0;
  let negBelow = 0;
  let gp = 0;
  let gn = 0;
  for (let j = 0; j < order.length; j++) {
    const wj = w[order[j]!]! | 0;
    const pw = wj & -isPos[j]!; // wj when positive, 0 otherwise
    gp = (gp + pw) | 0;
    gn = (gn + wj - pw) | 0;
    if (lastInGroup[j] === 1) {
      if (gp > 0) {
        aucNum += gp * (negBelow + 0.5 * gn);
        const tp = (totPos - posBelow) | 0;
        apSum += (gp * tp) / (tp + totNeg - negBelow);
      }
      posBelow = (posBelow + gp) | 0;
      negBelow = (negBelow + gn) | 0;
      gp = 0;
      gn = 0;
    }
  }
  out[0] = aucNum / (totPos * totNeg);
  out[1] = apSum / totPos;
}

/**
 * Quantile with linear interpolation between order statistics (numpy's default `percentile` method).
 * @param sorted ascending values, no NaN.
 * @param q in [0, 1].
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const m = sorted.length;
  if (m === 0) return NaN;
  const h = (m - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, m - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile and basic intervals from bootstrap replicates; NaN replicates are dropped. The percentile interval
 * [P2.5(θ*), P97.5(θ*)] (at level 0.95) is what the official `computing_confidence_intervals` returns
 * (lower = θ − P97.5(θ − θ*), upper = θ − P2.5(θ − θ*)); the basic interval is its reflection about θ,
 * [2θ − P97.5(θ*), 2θ − P2.5(θ*)].
 * @param theta the point estimate on the full data.
 * @param samples bootstrap replicates θ*.
 * @param level confidence level, e.g. 0.95.
 * @example bootstrapInterval(0.8, samples, 0.95).percentile; // {lo: P2.5(θ*), hi: P97.5(θ*)}
 */
export function bootstrapInterval(theta: number, samples: ArrayLike<number>, level: number): BootstrapCi {
  const valid: number[] = [];
  for (let i = 0; i < samples.length; i++) if (!Number.isNaN(samples[i]!)) valid.push(samples[i]!);
  const sorted = Float64Array.from(valid).sort();
  const a = (1 - level) / 2;
  const pLo = quantileSorted(sorted, a);
  const pHi = quantileSorted(sorted, 1 - a);
  // Percentiles of δ = θ* − θ are the percentiles of θ* shifted by θ.
  const basic = { lo: theta - (pHi - theta), hi: theta - (pLo - theta) };
  return { percentile: { lo: pLo, hi: pHi }, basic, nValid: sorted.length };
}

/**
 * Draw per-row counts of one bootstrap resample (n draws with replacement from n rows) into `counts`.
 * @example const c = new Int32Array(n); drawCounts(new Rng(24), c);
 */
export function drawCounts(rng: Rng, counts: Int32Array): Int32Array {
  const n = counts.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[rng.int(n)]!++;
  return counts;
}

/**
 * Bootstrap per-label and macro AUROC/AUPRC intervals over shared row resamples.
 * @param rankings one per included label (every one has both classes on the full data).
 * @param n number of rows of the evaluated set.
 * @returns plain numbers (no tensors).
 */
export function bootstrapMultilabel(rankings: readonly Ranking[], n: number, s: BootstrapSettings): BootstrapResult {
  const L = rankings.length;
  const prepared = rankings.map((r) => prepare(r, n));
  const rng = new Rng(s.seed);
  const counts = new Int32Array(n);
  const out = new Float64Array(2);
  const auc = Array.from({ length: L }, () => new Float64Array(s.resamples));
  const ap = Array.from({ length: L }, () => new Float64Array(s.resamples));
  const macroAuc = new Float64Array(s.resamples);
  const macroAp = new Float64Array(s.resamples);
  for (let b = 0; b < s.resamples; b++) {
    drawCounts(rng, counts);
    let sa = 0;
    let sp = 0;
    for (let l = 0; l < L; l++) {
      weightedMetrics(prepared[l]!, counts, n, out);
      auc[l]![b] = out[0]!;
      ap[l]![b] = out[1]!;
      sa += out[0]!;
      sp += out[1]!;
    }
    // A label with one class in this resample makes the macro value undefined (NaN): that resample is dropped.
    macroAuc[b] = sa / L;
    macroAp[b] = sp / L;
  }
  return {
    perLabel: prepared.map((_, l) => ({
      auroc: bootstrapInterval(s.point[2 * l]!, auc[l]!, s.level),
      auprc: bootstrapInterval(s.point[2 * l + 1]!, ap[l]!, s.level),
    })),
    macroAuroc: bootstrapInterval(s.macroPoint[0], macroAuc, s.level),
    macroAuprc: bootstrapInterval(s.macroPoint[1], macroAp, s.level),
    macroAurocSamples: macroAuc,
  };
}
