/**
 * Fine-tuning the whole encoder with the linear head (the paper's `evaluate.py --freeze 0`): same loss,
 * optimizer and early stopping as the linear probe, but the data are image batches and the encoder's
 * variables are in the optimizer's var list. The encoder's variables are restored to the best-validation
 * epoch before returning.
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  fitWithEarlyStopping,
  initHead,
  maskedBceWithLogits,
  targetsAndMask,
  probeTrainResult,
  type ProbeTrainResult,
} from "./linear_probe.js";
import { resolveProbeOptions, type ProbeOptions } from "./probe_options.js";
import { macroAuroc } from "./metrics.js";
import { Rng } from "../utils/rng.js";
import type { LabeledBatch, TrainableEncoder } from "./types.js";

/** Inputs of {@link fineTuneEncoder}. */
export interface FineTuneData {
  readonly encoder: TrainableEncoder;
  /** A fresh pass over the training batches per call (the loader shuffles/augments; each batch is disposed here). */
  readonly train: () => AsyncIterable<LabeledBatch> | Iterable<LabeledBatch>;
  /** A fresh pass over the validation batches per call. */
  readonly val: () => AsyncIterable<LabeledBatch> | Iterable<LabeledBatch>;
  readonly labelNames: readonly string[];
  /** Encoder output width D. */
  readonly dim: number;
}

/**
 * Fine-tune encoder + linear head. `batchSize`, `dropLast` and `labelFraction` are the loader's business
 * here (they are rejected), since the data arrive as batches.
 * Memory: every batch's `images` and all intermediate tensors are disposed here; the encoder's variables stay
 * owned by the caller and hold the best-validation weights on return; the head is returned as plain arrays.
 * @example
 * const r = await fineTuneEncoder({ encoder, train: () => loader("train"), val: () => loader("val"), labelNames, dim: 192 });
 * const feats = await extractFeatures(encoder.forward, loader("test")); const logits = r.probe.predictLogits(feats.features);
 */
export async function fineTuneEncoder(data: FineTuneData, opts: ProbeOptions = {}): Promise<ProbeTrainResult> {
  for (const k of ["batchSize", "dropLast", "labelFraction"] as const) {
    if (opts[k] !== undefined) throw new Error(`fineTuneEncoder: option "${k}" belongs to the batch loader here`);
  }
  const o = resolveProbeOptions(opts, "fineTuneEncoder");
  const { encoder, labelNames, dim: D } = data;
  const L = labelNames.length;
  const init = initHead(D, L, new Rng(o.seed));
  // tidy frees the initial-value tensors (tf.variable keeps its own reference); variables survive tidy.
  const W = tf.tidy(() => tf.variable(tf.tensor2d(init.weights, [D, L]), true)); // [D, L]
  const b = tf.tidy(() => tf.variable(tf.tensor1d(init.bias), true)); // [L]
  const variables = [W, b, ...encoder.variables];
  let nTrain = 0;
  try {
    const outcome = await fitWithEarlyStopping(
      {
        variables,
        runEpoch: async (optimizer) => {
          let lossSum = 0;
          let steps = 0;
          nTrain = 0;
          for await (const batch of data.train()) {
            try {
              const B = batch.images.shape[0];
              if (batch.labels.length !== B * L) {
                throw new Error(`fineTuneEncoder: batch of ${B} images has ${batch.labels.length} labels, expected ${B}×${L}`);
              }
              const { targets, mask } = targetsAndMask(batch.labels, B, L); // [B, L] each
              const cost = optimizer.minimize(
                () => {
                  const f = encoder.forward(batch.images); // [B, D]
                  return maskedBceWithLogits(tf.add(tf.matMul(f, W), b) as tf.Tensor2D, targets, mask);
                },
                true,
                variables,
              );
              lossSum += (await cost!.data())[0]!;
              tf.dispose([cost!, targets, mask]);
              steps++;
              nTrain += B;
            } finally {
              batch.images.dispose();
            }
          }
          if (steps === 0) throw new Error("fineTuneEncoder: the training iterable yielded no batch");
          return lossSum / steps;
        },
        validate: async () => {
          const logits: Float32Array[] = [];
          const labels: Float32Array[] = [];
          for await (const batch of data.val()) {
            try {
              const z = tf.tidy(() => tf.add(tf.matMul(encoder.forward(batch.images), W), b)); // [B, L]
              logits.push((await z.data()) as Float32Array);
              z.dispose();
              labels.push(batch.labels);
            } finally {
              batch.images.dispose();
            }
          }
          return macroAuroc(concat(labels), concat(logits), L).value;
        },
      },
      o,
    );
    return probeTrainResult(outcome, D, labelNames, nTrain);
  } finally {
    W.dispose();
    b.dispose();
  }
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
