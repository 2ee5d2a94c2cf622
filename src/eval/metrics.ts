/**
 * Classification metrics for the linear evaluation (docs/protocol.md#linear-evaluation; `evaluate.py` / `evaluationmodels.py`):
 * per-label and macro AUROC (sklearn `roc_auc_score` on the 14-column label matrix) and AUPRC
 * (`average_precision_score`), with bootstrap confidence intervals.
 *
 * Conventions: labels are 0/1 with NaN = missing (ignored for that label only); a label whose non-missing
 * test values hold one class only has no AUROC, so it is *excluded* from the macro average and listed in
 * `excluded` with the reason, never silently averaged (sklearn raises in that case).
 */
import { bootstrapMultilabel, type BootstrapResult } from "./bootstrap.js";
import { checkNumber, checkInt, checkOptionKeys } from "../utils/validate.js";
import { rankColumn, rankedMetrics, type Ranking } from "./ranking.js";

function rankedOrThrow(yTrue: ArrayLike<number>, yScore: ArrayLike<number>, fn: string): Ranking {
  if (yTrue.length !== yScore.length) {
    throw new Error(`${fn}: yTrue has ${yTrue.length} values but yScore has ${yScore.length}`);
  }
  return rankColumn(yTrue, yScore);
}

/**
 * Area under the ROC curve of one binary label (ties count ½, as sklearn's trapezoidal ROC).
 * @param yTrue labels 0/1; NaN entries are ignored together with their scores.
 * @param yScore real-valued scores (higher = more positive); NaN scores throw.
 * @returns AUROC in [0, 1].
 * @throws when the non-missing labels hold one class only (AUROC is undefined).
 * @example auroc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 */
export function auroc(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const r = rankedOrThrow(yTrue, yScore, "auroc");
  if (r.nPos === 0 || r.nNeg === 0) {
    throw new Error(
      `auroc: only one class present (nPos=${r.nPos}, nNeg=${r.nNeg}, nMissing=${r.nMissing}); AUROC is not defined`,
    );
  }
  return rankedMetrics(r, undefined, new Float64Array(2))[0]!;
}

/**
 * Average precision (area under the step-wise precision–recall curve, no interpolation), as sklearn's
 * `average_precision_score`: Σ_thresholds (R_k − R_{k−1}) · P_k with tied scores forming one threshold.
 * @param yTrue labels 0/1; NaN entries are ignored together with their scores.
 * @param yScore real-valued scores (higher = more positive).
 * @returns AP in [0, 1] (1 when every non-missing label is positive).
 * @throws when there is no positive label (recall is undefined).
 * @example averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.8333…
 */
export function averagePrecision(yTrue: ArrayLike<number>, yScore: ArrayLike<number>): number {
  const r = rankedOrThrow(yTrue, yScore, "averagePrecision");
  if (r.nPos === 0) throw new Error(`averagePrecision: no positive label (nNeg=${r.nNeg}); AP is not defined`);
  if (r.nNeg === 0) return 1;
  return rankedMetrics(r, undefined, new Float64Array(2))[1]!;
}

/** A two-sided confidence interval. */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

/**
 * Which bootstrap interval a table, chart or summary shows. "percentile" = [P_lo(θ*), P_hi(θ*)], the official
 * code's interval (`computing_confidence_intervals` in CXR-EHR-MSN `src/models/utils.py`) and the default
 * everywhere; "basic" = its reflection about the point estimate, [2θ̂ − P_hi(θ*), 2θ̂ − P_lo(θ*)].
 */
export type IntervalKind = "percentile" | "basic";

/** The interval kinds, default first. */
export const INTERVAL_KINDS: readonly IntervalKind[] = ["percentile", "basic"];

/** The interval shown wherever one is shown: the official code's percentile interval. */
export const DEFAULT_INTERVAL: IntervalKind = "percentile";

/**
 * Validate an interval kind (default {@link DEFAULT_INTERVAL} when undefined).
 * @param where prefix of the error message, e.g. the calling function's name.
 * @throws on anything but "percentile" or "basic" (the old name "pivot" is named in the message).
 * @example intervalKind(opts.interval, "formatWithCi"); // "percentile"
 */
export function intervalKind(kind: unknown, where: string): IntervalKind {
  if (kind === undefined) return DEFAULT_INTERVAL;
  if (kind === "percentile" || kind === "basic") return kind;
  const hint = kind === "pivot" ? ' ("pivot" is now called "basic"; the official code\'s interval is "percentile")' : "";
  throw new Error(`${where}: interval must be "percentile" or "basic", got ${JSON.stringify(kind)}${hint}`);
}

/** Bootstrap intervals of one statistic: the percentile interval (the official code's) and the basic interval. */
export interface BootstrapCi {
  /**
   * [P_lo(θ*), P_hi(θ*)]. The official `computing_confidence_intervals` takes δ = θ̂ − θ* and returns
   * lower = θ̂ − P_hi(δ), upper = θ̂ − P_lo(δ), which is exactly this interval. Shown by default.
   */
  readonly percentile: Interval;
  /** Basic bootstrap interval [2θ̂ − P_hi(θ*), 2θ̂ − P_lo(θ*)]: the percentile interval reflected about θ̂. Not clipped. */
  readonly basic: Interval;
  /** Resamples in which the statistic was defined (both classes present for every label involved). */
  readonly nValid: number;
}

/**
 * The interval of `kind` in `ci`.
 * @param kind "percentile" (default, the official code's) or "basic".
 * @example pickInterval(ev.macroAurocCi!); // {lo, hi} of the percentile interval
 */
export function pickInterval(ci: BootstrapCi, kind: IntervalKind = DEFAULT_INTERVAL): Interval {
  return ci[intervalKind(kind, "pickInterval")];
}

/** Metrics of one included label. */
export interface LabelMetrics {
  readonly label: string;
  /** Column index in the label matrix. */
  readonly index: number;
  readonly auroc: number;
  readonly auprc: number;
  readonly nPos: number;
  readonly nNeg: number;
  /** NaN (missing) labels in this column, ignored. */
  readonly nMissing: number;
  /** Present when bootstrapping was requested. */
  readonly aurocCi?: BootstrapCi;
  readonly auprcCi?: BootstrapCi;
}

/** A label left out of the macro average, and why. */
export interface ExcludedLabel {
  readonly label: string;
  readonly index: number;
  readonly nPos: number;
  readonly nNeg: number;
  readonly nMissing: number;
  readonly reason: string;
}

/** Result of {@link evaluateMultilabel}. */
export interface MultilabelEvaluation {
  /** Number of rows (samples). */
  readonly n: number;
  readonly labelNames: readonly string[];
  /** Included labels, in column order. */
  readonly perLabel: readonly LabelMetrics[];
  /** Labels excluded from every average (one class only in the evaluated set). */
  readonly excluded: readonly ExcludedLabel[];
  /** Unweighted mean over `perLabel` (sklearn `average="macro"`). */
  readonly macroAuroc: number;
  readonly macroAuprc: number;
  readonly macroAurocCi?: BootstrapCi;
  readonly macroAuprcCi?: BootstrapCi;
  /** Bootstrap settings used (absent when `bootstrap` was 0). */
  readonly bootstrap?: { readonly resamples: number; readonly seed: number; readonly ci: number };
}

/** Options of {@link evaluateMultilabel}. */
export interface EvaluateOptions {
  /** Bootstrap resamples of the rows (with replacement, size n); 0 = no intervals. Default 1000 (the paper's). */
  readonly bootstrap?: number;
  /** Seed of the resampling. Default 24 (the paper's `seed_everything(24)`). */
  readonly seed?: number;
  /** Confidence level. Default 0.95. */
  readonly ci?: number;
}
const EVALUATE_KEYS = ["bootstrap", "seed", "ci"] as const;

/**
 * Per-label and macro AUROC/AUPRC of an N×L multilabel problem, with bootstrap CIs.
 * @param yTrue row-major [N, L] labels (0/1, NaN = missing).
 * @param yScore row-major [N, L] scores (probabilities or logits: both metrics only use the order).
 * @param numLabels L.
 * @param labelNames L names, in column order.
 * @param opts bootstrap resamples (default 1000), seed (default 24), ci level (default 0.95).
 * @returns plain numbers (no tensors).
 * @example
 * const ev = evaluateMultilabel(labels, probs, 14, CHEXPERT_LABELS, { bootstrap: 1000, seed: 24 });
 * ev.macroAuroc; ev.macroAurocCi?.percentile; ev.excluded; // [{label: "Fracture", reason: "…"}]
 */
export function evaluateMultilabel(
  yTrue: Float32Array | Float64Array,
  yScore: Float32Array | Float64Array,
  numLabels: number,
  labelNames: readonly string[],
  opts: EvaluateOptions = {},
): MultilabelEvaluation {
  checkOptionKeys(opts, EVALUATE_KEYS, "evaluateMultilabel");
  const resamples = checkInt(opts.bootstrap ?? 1000, "evaluateMultilabel: bootstrap", 0);
  const seed = checkNumber(opts.seed ?? 24, "evaluateMultilabel: seed");
  const level = checkNumber(opts.ci ?? 0.95, "evaluateMultilabel: ci", 0, 1);
  if (level <= 0 || level >= 1) throw new Error(`evaluateMultilabel: ci must be in (0, 1), got ${level}`);
  const L = checkInt(numLabels, "evaluateMultilabel: numLabels", 1);
  if (labelNames.length !== L) {
    throw new Error(`evaluateMultilabel: ${labelNames.length} label names for numLabels=${L}`);
  }
  if (yTrue.length !== yScore.length || yTrue.length % L !== 0) {
    throw new Error(
      `evaluateMultilabel: yTrue (${yTrue.length}) and yScore (${yScore.length}) must both have N×${L} values`,
    );
  }
  const n = yTrue.length / L;

  // Step 1. Rank each column once; split into included and excluded labels.
  const rankings: Ranking[] = [];
  const included: number[] = [];
  const excluded: ExcludedLabel[] = [];
  for (let l = 0; l < L; l++) {
    const r = rankColumn(yTrue, yScore, n, l, L);
    const label = labelNames[l]!;
    if (r.nPos === 0 || r.nNeg === 0) {
      const only = r.nPos === 0 ? "negative" : "positive";
      excluded.push({
        label,
        index: l,
        nPos: r.nPos,
        nNeg: r.nNeg,
        nMissing: r.nMissing,
        reason: `only ${only} labels in the evaluated set (nPos=${r.nPos}, nNeg=${r.nNeg}, missing=${r.nMissing}); AUROC undefined`,
      });
      continue;
    }
    rankings.push(r);
    included.push(l);
  }
  if (included.length === 0) {
    throw new Error(`evaluateMultilabel: no label has both classes; excluded: ${excluded.map((e) => e.label).join(", ")}`);
  }

  // Step 2. Point estimates.
  const out = new Float64Array(2);
  const point = rankings.map((r) => {
    rankedMetrics(r, undefined, out);
    return { auroc: out[0]!, auprc: out[1]! };
  });
  const macroAuroc = mean(point.map((p) => p.auroc));
  const macroAuprc = mean(point.map((p) => p.auprc));

  // Step 3. Bootstrap intervals (same resampled rows for every label, as resampling the test DataFrame).
  let boot: BootstrapResult | undefined;
  if (resamples > 0) {
    boot = bootstrapMultilabel(rankings, n, {
      resamples,
      seed,
      level,
      point: point.flatMap((p) => [p.auroc, p.auprc]),
      macroPoint: [macroAuroc, macroAuprc],
    });
  }
  const perLabel: LabelMetrics[] = included.map((l, k) => {
    const r = rankings[k]!;
    const base = { label: labelNames[l]!, index: l, ...point[k]!, nPos: r.nPos, nNeg: r.nNeg, nMissing: r.nMissing };
    return boot ? { ...base, aurocCi: boot.perLabel[k]!.auroc, auprcCi: boot.perLabel[k]!.auprc } : base;
  });
  return {
    n,
    labelNames: [...labelNames],
    perLabel,
    excluded,
    macroAuroc,
    macroAuprc,
    ...(boot
      ? { macroAurocCi: boot.macroAuroc, macroAuprcCi: boot.macroAuprc, bootstrap: { resamples, seed, ci: level } }
      : {}),
  };
}

/**
 * Macro AUROC only (unweighted mean over labels with both classes), for early stopping.
 * @returns the mean and the indices of the labels it averaged; NaN when no label has both classes.
 */
export function macroAuroc(
  yTrue: Float32Array | Float64Array,
  yScore: Float32Array | Float64Array,
  numLabels: number,
): { value: number; labels: number[] } {
  const n = yTrue.length / numLabels;
  const out = new Float64Array(2);
  const values: number[] = [];
  const labels: number[] = [];
  for (let l = 0; l < numLabels; l++) {
    const r = rankColumn(yTrue, yScore, n, l, numLabels);
    if (r.nPos === 0 || r.nNeg === 0) continue;
    values.push(rankedMetrics(r, undefined, out)[0]!);
    labels.push(l);
  }
  return { value: values.length ? mean(values) : NaN, labels };
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
