/**
 * The linear probe of the paper's evaluation (docs/protocol.md#linear-evaluation; `evaluationmodels.py`): one linear layer D → L on frozen
 * features, sigmoid + BCE (NaN labels masked out), Adam (lr 1e-4, no weight decay), batch 64 with
 * drop_last on the training set, early stopping on validation macro AUROC (patience 5, min_delta 1e-5) and
 * the best-validation checkpoint kept for testing. Label fractions (1/10/25/100 %) subsample the training set
 * with a seeded draw. `fineTuneEncoder` (fine_tune.ts) trains the encoder too, through the same loop.
 *
 * Deviations, deliberate: validation uses every row (the paper's val loader also drops the last partial
 * batch); validation AUROC is computed on logits (same order as the sigmoid probabilities, without float32
 * saturation ties).
 */
import * as tf from "@tensorflow/tfjs-core";
import { macroAuroc } from "./metrics.js";
import { resolveProbeOptions, type EpochLog, type ProbeOptions, type ResolvedProbeOptions } from "./probe_options.js";
import { Rng } from "../utils/rng.js";
import { checkFeatureSet, type LabeledFeatures } from "./types.js";

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
  /** Training rows actually used (after labelFraction). */
  readonly nTrain: number;
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

/** Hooks the shared loop needs from a concrete trainer (features or images). */
export interface FitHooks {
  /** Trainable variables (head, and encoder when fine-tuning). */
  readonly variables: tf.Variable[];
  /** One pass over the training data; returns the mean loss. Must dispose everything it allocates. */
  runEpoch(optimizer: tf.Optimizer, epoch: number): Promise<number>;
  /** Validation macro AUROC with the current weights. */
  validate(): Promise<number>;
}

/** Outcome of {@link fitWithEarlyStopping}: the best variable values, copied out. */
export interface FitOutcome {
  readonly best: Float32Array[];
  readonly history: EpochLog[];
  readonly bestEpoch: number;
  readonly bestValMacroAuroc: number;
  readonly stoppedEarly: boolean;
}

/**
 * The training loop shared by probe and fine-tuning: Adam, early stopping on validation macro AUROC
 * (Lightning `EarlyStopping(mode="max", patience, min_delta)`: an epoch counts as an improvement when it beats
 * the best by more than minDelta), and the checkpoint of Lightning's `ModelCheckpoint` (any strictly higher
 * value becomes the checkpoint). The variables are restored to the checkpoint before returning.
 * Memory: the optimizer and its slots are disposed here; variables stay owned by the caller.
 */
export async function fitWithEarlyStopping(hooks: FitHooks, o: ResolvedProbeOptions): Promise<FitOutcome> {
  const optimizer = tf.train.adam(o.learningRate, 0.9, 0.999, 1e-8); // torch Adam defaults (eps 1e-8)
  const history: EpochLog[] = [];
  const copy = () => Promise.all(hooks.variables.map(async (v) => ((await v.data()) as Float32Array).slice()));
  let best: Float32Array[] = await copy();
  let bestValue = -Infinity;
  let bestEpoch = 0;
  let esBest = -Infinity;
  let wait = 0;
  let stoppedEarly = false;
  // learning-rate schedule state (torch CosineAnnealingLR / ReduceLROnPlateau semantics)
  let lr = o.learningRate;
  let plateauBest = -Infinity;
  let plateauBad = 0;
  const setLr = (x: number) => ((optimizer as unknown as { learningRate: number }).learningRate = x);
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      if (o.scheduler === "cosine") lr = (o.learningRate * (1 + Math.cos((Math.PI * (epoch - 1)) / o.maxEpochs))) / 2;
      setLr(lr);
      const t0 = performance.now();
      const trainLoss = await hooks.runEpoch(optimizer, epoch);
      const val = await hooks.validate();
      if (Number.isNaN(val)) throw new Error("validation macro AUROC is NaN: no validation label has both classes");
      const isBest = val > bestValue;
      if (isBest) {
        bestValue = val;
        bestEpoch = epoch;
        best = await copy();
      }
      const log: EpochLog = { epoch, lr, trainLoss, valMacroAuroc: val, best: isBest, seconds: (performance.now() - t0) / 1000 };
      if (o.scheduler === "reduce") {
        if (val > plateauBest * (1 + 1e-4)) {
          plateauBest = val;
          plateauBad = 0;
        } else if (++plateauBad > 3) {
          lr *= 0.5;
          plateauBad = 0;
        }
      }
      history.push(log);
      o.onEpoch?.(log);
      if (val > esBest + o.minDelta) {
        esBest = val;
        wait = 0;
      } else if (++wait >= o.patience) {
        stoppedEarly = epoch < o.maxEpochs;
        break;
      }
    }
  } finally {
    optimizer.dispose();
  }
  hooks.variables.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(best[i]!, v.shape, "float32"))));
  return { best, history, bestEpoch, bestValMacroAuroc: bestValue, stoppedEarly };
}

/**
 * Train the linear probe on frozen features (docs/protocol.md#linear-evaluation).
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
  const init = initHead(D, L, rng);
  // tidy frees the initial-value tensors (tf.variable keeps its own reference); variables survive tidy.
  const W = tf.tidy(() => tf.variable(tf.tensor2d(init.weights, [D, L]), true)); // [D, L]
  const b = tf.tidy(() => tf.variable(tf.tensor1d(init.bias), true)); // [L]
  const xBuf = new Float32Array(B * D);
  const yBuf = new Float32Array(B * L);
  try {
    const outcome = await fitWithEarlyStopping(
      {
        variables: [W, b],
        runEpoch: async (optimizer) => {
          const order = rng.shuffle(rows.slice());
          let lossSum = 0;
          for (let k = 0; k < nBatches; k++) {
            const bs = Math.min(B, order.length - k * B);
            for (let i = 0; i < bs; i++) {
              const r = order[k * B + i]!;
              xBuf.set(train.features.subarray(r * D, (r + 1) * D), i * D);
              yBuf.set(train.labels.subarray(r * L, (r + 1) * L), i * L);
            }
            const x = tf.tensor2d(xBuf.subarray(0, bs * D), [bs, D]); // [bs, D]
            const { targets, mask } = targetsAndMask(yBuf.subarray(0, bs * L), bs, L); // [bs, L] each
            const cost = optimizer.minimize(
              () => maskedBceWithLogits(tf.add(tf.matMul(x, W), b) as tf.Tensor2D, targets, mask),
              true,
              [W, b],
            );
            lossSum += (await cost!.data())[0]!;
            tf.dispose([cost!, x, targets, mask]);
          }
          return lossSum / nBatches;
        },
        validate: async () => {
          const [w, bias] = await Promise.all([W.data(), b.data()]); // the cpu backend's own buffers: only read, before the next update
          const probe = new LinearProbe(w as Float32Array, bias as Float32Array, D, train.labelNames);
          return macroAuroc(val.labels, probe.predictLogits(val.features), L).value;
        },
      },
      o,
    );
    return {
      probe: new LinearProbe(outcome.best[0]!, outcome.best[1]!, D, [...train.labelNames]),
      history: outcome.history,
      bestEpoch: outcome.bestEpoch,
      bestValMacroAuroc: outcome.bestValMacroAuroc,
      stoppedEarly: outcome.stoppedEarly,
      nTrain: rows.length,
    };
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
