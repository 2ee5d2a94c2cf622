/**
 * Training "images" for the official probe mode's tests: 1×1×D pictures whose pixels are the rows of a feature
 * set, so the identity encoder gives back the cached features exactly.
 */
import * as tf from "@tensorflow/tfjs-core";
import { initHead } from "../../src/eval/linear_probe.js";
import { Rng } from "../../src/utils/rng.js";
import type { Encoder, ImageTrainSet, LabeledBatch, LabeledFeatures } from "../../src/eval/types.js";

/** [B, 1, 1, D] images → [B, D] features, unchanged. */
export const identityEncoder: Encoder = (x) => tf.reshape(x, [x.shape[0], x.shape[3]]) as tf.Tensor2D;

/** Batches of `order`'s rows of `fs`, `bs` at a time; `noise` > 0 adds seeded Gaussian noise (the "augmentation"). */
export function* imageBatches(fs: LabeledFeatures, order: ArrayLike<number>, bs: number, noise = 0, seed = 0): Generator<LabeledBatch> {
  const D = fs.dim;
  const L = fs.labelNames.length;
  const rng = new Rng(seed);
  for (let s = 0; s < order.length; s += bs) {
    const m = Math.min(bs, order.length - s);
    const px = new Float32Array(m * D);
    const labels = new Float32Array(m * L);
    for (let i = 0; i < m; i++) {
      const r = order[s + i]!;
      for (let d = 0; d < D; d++) px[i * D + d] = fs.features[r * D + d]! + (noise > 0 ? noise * rng.normal() : 0);
      labels.set(fs.labels.subarray(r * L, (r + 1) * L), i * L);
    }
    yield { images: tf.tensor4d(px, [m, 1, 1, D]), labels };
  }
}

/**
 * Unaugmented training images in the fast mode's order: trainLinearProbe draws the head's initial weights
 * from Rng(seed), then shuffles its training rows with the same stream once per epoch. `headLabels`: the
 * head's output count when the protocol removes columns (NIH-14's "No Finding").
 */
export function fastOrderSet(fs: LabeledFeatures, seed: number, loaderBatch: number, headLabels = fs.labelNames.length): ImageTrainSet {
  const rng = new Rng(seed);
  initHead(fs.dim, headLabels, rng);
  return {
    encoder: identityEncoder,
    labels: fs.labels,
    labelNames: fs.labelNames,
    batches: (p) => imageBatches(fs, rng.shuffle(p.rows.slice()), loaderBatch),
  };
}
