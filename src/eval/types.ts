/**
 * Data contracts of the evaluation module. `src/` never imports `data-loaders/`: loaders (or tests) produce
 * these plain shapes, evaluation consumes them.
 */
import type * as tf from "@tensorflow/tfjs-core";

/**
 * A frozen image encoder: NHWC float images [B, H, W, C] → features [B, D] (the CLS token after the final
 * LayerNorm of the EMA/target ViT, docs/protocol.md#linear-evaluation). The caller of the encoder owns and disposes the result; the
 * encoder must not dispose its input.
 */
export type Encoder = (images: tf.Tensor4D) => tf.Tensor2D;

/**
 * An encoder whose weights are trained during fine-tuning (`fineTuneEncoder`). `forward` follows the
 * {@link Encoder} ownership rules; `variables` are the weights to update (owned by the encoder's creator).
 */
export interface TrainableEncoder {
  forward(images: tf.Tensor4D): tf.Tensor2D;
  readonly variables: tf.Variable[];
}

/**
 * One labelled image batch. Ownership: the producer hands the batch to the consumer, which disposes
 * `images` after use (`extractFeatures` and `fineTuneEncoder` do).
 */
export interface LabeledBatch {
  /** [B, H, W, C] float32, already normalised. */
  readonly images: tf.Tensor4D;
  /** Row-major [B, L] labels: 1, 0 or NaN (missing). */
  readonly labels: Float32Array;
}

/** Features and labels of one split, as plain arrays (no tensors). */
export interface FeatureSet {
  /** Row-major [n, dim]. */
  readonly features: Float32Array;
  /** Row-major [n, numLabels], 1/0/NaN. */
  readonly labels: Float32Array;
  readonly n: number;
  readonly dim: number;
}

/** A {@link FeatureSet} that knows its label names (column order of `labels`). */
export interface LabeledFeatures extends FeatureSet {
  readonly labelNames: readonly string[];
}

/**
 * Check the sizes of a labelled feature set and return its number of labels.
 * @throws with the offending sizes when `features`/`labels` do not match `n`, `dim` and `labelNames`.
 */
export function checkFeatureSet(fs: LabeledFeatures, where: string): number {
  const L = fs.labelNames.length;
  if (!Number.isInteger(fs.n) || fs.n < 0 || !Number.isInteger(fs.dim) || fs.dim < 1) {
    throw new Error(`${where}: bad sizes n=${fs.n}, dim=${fs.dim}`);
  }
  if (fs.features.length !== fs.n * fs.dim) {
    throw new Error(`${where}: features has ${fs.features.length} values, expected n×dim = ${fs.n}×${fs.dim}`);
  }
  if (L < 1 || fs.labels.length !== fs.n * L) {
    throw new Error(`${where}: labels has ${fs.labels.length} values, expected n×L = ${fs.n}×${L} (labelNames)`);
  }
  return L;
}
