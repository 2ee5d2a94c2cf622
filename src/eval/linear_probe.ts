/**
 * The linear probe of the paper's evaluation (docs/protocol.md#linear-evaluation; `evaluationmodels.py`): one linear layer D → L on frozen
 * features, sigmoid + BCE (NaN labels masked out), Adam (lr 1e-4, no weight decay), batch 64 with
 * drop_last on the training set, early stopping on validation macro AUROC (patience 5, min_delta 1e-5) and
 * the best-validation checkpoint kept for testing. Label fractions (1/10/25/100 %) subsample the training set
 * with a seeded draw. `fineTuneEncoder` (fine_tune.ts) trains the encoder too, through the same loop.
 *
 * Two modes: `trainLinearProbe` here is the **fast** one (features of the training images computed once,
 * without augmentation, and cached); `trainLinearProbeAugmented` (augmented_probe.ts) is the **official**
 * one (a fresh augmented pass of the training images through the frozen encoder every epoch, the official
 * cosine schedule and rounded validation AUROC by default).
 *
 * Deviations, deliberate: validation uses every row unless the protocol's `dropLastValBatch` asks for the
 * official val loader's drop_last; validation AUROC is computed on logits (same order as the sigmoid
 * probabilities, without float32 saturation ties).
 */
import * as tf from "@tensorflow/tfjs-core";
import { macroAuroc } from "./metrics.js";
import { resolveProbeOptions, type EpochLog, type ProbeOptions } from "./probe_options.js";
import { fitWithEarlyStopping, type FitOutcome } from "./probe_fit.js";
import { Rng } from "../utils/rng.js";
import { checkFeatureSet, type LabeledFeatures } from "./types.js";

export { fitWithEarlyStopping, type EpochStats, type FitHooks, type FitOutcome } from "./probe_fit.js";
export type { EpochLog } from "./probe_options.js";

/**
 * A trained linear head, held as plain arrays (no tensors, nothing to dispose).
 * logits = features · weights + bias.
 */
export class LinearProbe {
  /**
   * @param weights row-major [dim, numLabels].
   * @param bias [numLabels].
   * @param labelNames column order of the outputs.
   */
  constructor(
    readonly weights: Float32Array,
    readonly bias: Float32Array,
    readonly dim: number,
    readonly labelNames: readonly string[],
  ) {
    if (weights.length !== dim * labelNames.length || bias.length !== labelNames.length) {
      throw new Error(`LinearProbe: weights ${weights.length} / bias ${bias.length} do not fit dim=${dim}, L=${labelNames.length}`);
    }
  }

  /** Number of outputs L. */
  get numLabels(): number {
    return this.labelNames.length;
  }

  /**
   * Logits for row-major features [n, dim], on the host (float64 sums, float32 results): no backend, no tensors.
   * @returns row-major [n, L] logits.
   * @example const logits = probe.predictLogits(test.features);
   */
  predictLogits(features: Float32Array): Float32Array {
    const D = this.dim;
    if (features.length % D !== 0) {
      throw new Error(`LinearProbe.predictLogits: ${features.length} values is not a multiple of dim=${D}`);
    }
    const n = features.length / D;
    const L = this.numLabels;
    const out = new Float32Array(n * L);
    const acc = new Float64Array(L);
    for (let i = 0; i < n; i++) {
      for (let l = 0; l < L; l++) acc[l] = this.bias[l]!;
      for (let d = 0; d < D; d++) {
        const x = features[i * D + d]!;
        if (x === 0) continue;
        const row = d * L;
        for (let l = 0; l < L; l++) acc[l] += x * this.weights[row + l]!;
      }
      out.set(acc, i * L);
    }
    return out;
  }

  /** Sigmoid probabilities, row-major [n, L] (float64 sigmoid of the float32 logits). */
  predictProba(features: Float32Array): Float64Array {
    const z = this.predictLogits(features);
    const p = new Float64Array(z.length);
    for (let i = 0; i < z.length; i++) p[i] = 1 / (1 + Math.exp(-z[i]!));
    return p;
  }

  /** JSON-safe form (for saving next to results). */
  toJSON(): { dim: number; labelNames: string[]; weights: number[]; bias: number[] } {
    return { dim: this.dim, labelNames: [...this.labelNames], weights: Array.from(this.weights), bias: Array.from(this.bias) };
  }

  /** Inverse of {@link LinearProbe.toJSON}. */
  static fromJSON(j: { dim: number; labelNames: string[]; weights: number[]; bias: number[] }): LinearProbe {
    return new LinearProbe(Float32Array.from(j.weights), Float32Array.from(j.bias), j.dim, j.labelNames);
  }
}

/** Result of a probe training run. */
export interface ProbeTrainResult {
  /** The best-validation checkpoint. */
  readonly probe: LinearProbe;
  readonly history: readonly EpochLog[];
  /** 1-based epoch of the checkpoint. */
  readonly bestEpoch: number;
  readonly bestValMacroAuroc: number;
  /** true when early stopping ended training before maxEpochs. */
  readonly stoppedEarly: boolean;
  /** Training rows actually used (after labelFraction; official mode: the images the loader yielded in the last epoch). */
  readonly nTrain: number;
}

/** The {@link ProbeTrainResult} of a fit: the best head values as a {@link LinearProbe} of `dim` → labels, and the history. */
export function probeTrainResult(outcome: FitOutcome, dim: number, labelNames: readonly string[], nTrain: number): ProbeTrainResult {
  return {
    probe: new LinearProbe(outcome.best[0]!, outcome.best[1]!, dim, [...labelNames]),
    history: outcome.history,
    bestEpoch: outcome.bestEpoch,
    bestValMacroAuroc: outcome.bestValMacroAuroc,
    stoppedEarly: outcome.stoppedEarly,
    nTrain,
  };
}

/**
 * Masked binary cross-entropy on logits: mean over the entries where `mask` is 1 of
 * max(z,0) − z·y + log(1 + e^−|z|) (= BCE(sigmoid(z), y), computed stably).
 * @param logits [B, L]; @param targets [B, L] 0/1 (0 where missing); @param mask [B, L] 1 = present.
 * @returns a scalar tensor owned by the caller (intermediates are freed).
 */
export function maskedBceWithLogits(logits: tf.Tensor2D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const perEntry = tf.add(
      tf.sub(tf.relu(logits), tf.mul(logits, targets)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    ); // [B, L]
    return tf.div(tf.sum(tf.mul(perEntry, mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * Labels → (targets, mask) for {@link maskedBceWithLogits}: NaN becomes target 0 with mask 0.
 * @returns two tensors [B, L] owned by the caller.
 */
export function targetsAndMask(labels: Float32Array, B: number, L: number): { targets: tf.Tensor2D; mask: tf.Tensor2D } {
  const t = new Float32Array(B * L);
  const m = new Float32Array(B * L);
  for (let i = 0; i < B * L; i++) {
    const y = labels[i]!;
    if (!Number.isNaN(y)) {
      t[i] = y;
      m[i] = 1;
    }
  }
  return { targets: tf.tensor2d(t, [B, L]), mask: tf.tensor2d(m, [B, L]) };
}

/** Initial head weights as torch nn.Linear: W, b ~ U(−1/√D, 1/√D). */
export function initHead(dim: number, L: number, rng: Rng): { weights: Float32Array; bias: Float32Array } {
  const bound = 1 / Math.sqrt(dim);
  const weights = new Float32Array(dim * L).map(() => (2 * rng.next() - 1) * bound);
  const bias = new Float32Array(L).map(() => (2 * rng.next() - 1) * bound);
  return { weights, bias };
}

/** Row indices used for training under `labelFraction` (all rows at 1; else a seeded sample of ⌊n·f⌋ ≥ 1). */
export function labelFractionIndices(n: number, fraction: number, seed: number): Int32Array {
  if (fraction >= 1) return Int32Array.from({ length: n }, (_, i) => i);
  const k = Math.max(1, Math.floor(n * fraction));
  return new Rng(seed ^ 0x5eed).sample(n, k);
}

/**
 * One optimizer step of the linear head on the first `bs` rows of host buffers, under masked BCE.
 * @param xBuf row-major features, at least [bs, dim]; @param yBuf row-major labels, at least [bs, L] (NaN = missing).
 * @returns the step's loss. Memory: every tensor it makes is disposed before it returns.
 */
export async function headStep(
  optimizer: tf.Optimizer,
  W: tf.Variable,
  b: tf.Variable,
  xBuf: Float32Array,
  yBuf: Float32Array,
  bs: number,
): Promise<number> {
  const [D, L] = W.shape as [number, number];
  const x = tf.tensor2d(xBuf.subarray(0, bs * D), [bs, D]); // [bs, D]
  const { targets, mask } = targetsAndMask(yBuf.subarray(0, bs * L), bs, L); // [bs, L] each
  try {
    const cost = optimizer.minimize(() => maskedBceWithLogits(tf.add(tf.matMul(x, W), b) as tf.Tensor2D, targets, mask), true, [W, b]);
    try {
      return (await cost!.data())[0]!;
    } finally {
      cost!.dispose();
    }
  } finally {
    tf.dispose([x, targets, mask]);
  }
}

/** Validation macro AUROC of the head's current weights on a feature set (computed on the host, on logits). */
export async function headValMacroAuroc(W: tf.Variable, b: tf.Variable, val: LabeledFeatures): Promise<number> {
  const [D, L] = W.shape as [number, number];
  const [w, bias] = await Promise.all([W.data(), b.data()]); // the cpu backend's own buffers: only read, before the next update
  const probe = new LinearProbe(w as Float32Array, bias as Float32Array, D, val.labelNames);
  return macroAuroc(val.labels, probe.predictLogits(val.features), L).value;
}

/** The head's variables W [D, L] and b [L], initialised as torch nn.Linear from `rng` (caller disposes them). */
export function headVariables(D: number, L: number, rng: Rng): { W: tf.Variable; b: tf.Variable } {
  const init = initHead(D, L, rng);
  // tidy frees the initial-value tensors (tf.variable keeps its own reference); variables survive tidy.
  const W = tf.tidy(() => tf.variable(tf.tensor2d(init.weights, [D, L]), true)); // [D, L]
  const b = tf.tidy(() => tf.variable(tf.tensor1d(init.bias), true)); // [L]
  return { W, b };
}

/**
 * Train the linear probe on frozen, cached features: the **fast** mode (docs/protocol.md#linear-evaluation). The
 * official mode, with train-time augmentation through the encoder every epoch, is `trainLinearProbeAugmented`.
 * Memory: all tensors are created and disposed inside; the result holds plain arrays, so
 * `tf.memory().numTensors` is the same before and after.
 * @param train training features and labels (NaN labels are masked out of the loss).
 * @param val validation set for early stopping (same labelNames).
 * @param opts see {@link ProbeOptions}; defaults are the paper's.
 * @example
 * const { probe, history } = await trainLinearProbe(trainFs, valFs, { labelFraction: 0.1 });
 * const ev = evaluateMultilabel(testFs.labels, probe.predictLogits(testFs.features), 14, probe.labelNames);
 */
export async function trainLinearProbe(
  train: LabeledFeatures,
  val: LabeledFeatures,
  opts: ProbeOptions = {},
): Promise<ProbeTrainResult> {
  const o = resolveProbeOptions(opts, "trainLinearProbe");
  const L = checkFeatureSet(train, "trainLinearProbe(train)");
  checkFeatureSet(val, "trainLinearProbe(val)");
  assertSameLabels(train.labelNames, val.labelNames, "trainLinearProbe: train vs val");
  if (val.dim !== train.dim) throw new Error(`trainLinearProbe: val dim ${val.dim} != train dim ${train.dim}`);
  const D = train.dim;
  const rows = labelFractionIndices(train.n, o.labelFraction, o.seed);
  const B = o.batchSize;
  const nBatches = o.dropLast ? Math.floor(rows.length / B) : Math.ceil(rows.length / B);
  if (nBatches === 0) {
    throw new Error(`trainLinearProbe: ${rows.length} training rows make no full batch of ${B} (dropLast); lower batchSize`);
  }
  const rng = new Rng(o.seed);
  const { W, b } = headVariables(D, L, rng);
  const xBuf = new Float32Array(B * D);
  const yBuf = new Float32Array(B * L);
  try {
    const outcome = await fitWithEarlyStopping(
      {
        variables: [W, b],
        runEpoch: async (optimizer) => {
          const order = rng.shuffle(rows.slice());
          let lossSum = 0;
          let used = 0;
          for (let k = 0; k < nBatches; k++) {
            const bs = Math.min(B, order.length - k * B);
            for (let i = 0; i < bs; i++) {
              const r = order[k * B + i]!;
              xBuf.set(train.features.subarray(r * D, (r + 1) * D), i * D);
              yBuf.set(train.labels.subarray(r * L, (r + 1) * L), i * L);
            }
            lossSum += await headStep(optimizer, W, b, xBuf, yBuf, bs);
            used += bs;
          }
          return { loss: lossSum / nBatches, steps: nBatches, rows: used };
        },
        validate: () => headValMacroAuroc(W, b, val),
      },
      o,
    );
    return probeTrainResult(outcome, D, train.labelNames, rows.length);
  } finally {
    W.dispose();
    b.dispose();
  }
}

/** Throw unless two label lists are equal, element by element (names and order). */
export function assertSameLabels(a: readonly string[], b: readonly string[], where: string): void {
  if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
    throw new Error(`${where}: label names differ:\n  [${a.join(", ")}]\n  [${b.join(", ")}]`);
  }
}
