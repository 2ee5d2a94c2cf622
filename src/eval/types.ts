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

/** What {@link ImageTrainSet.batches} is asked for: one epoch's pass over some training images. */
export interface TrainPass {
  /** 1-based epoch. */
  readonly epoch: number;
  /** Seed of this pass's shuffle and augmentation (different every epoch, derived from the probe's seed). */
  readonly seed: number;
  /** Rows of the training set to yield (indices into its `labels` rows; all of them at label fraction 1), each once. */
  readonly rows: Int32Array;
}

/**
 * The training images of the official probe mode (`trainLinearProbeAugmented`): labels known up front, images
 * produced per epoch by the caller's loader (src/ never imports data-loaders/).
 */
export interface ImageTrainSet {
  /** The frozen target encoder. */
  readonly encoder: Encoder;
  /** Row-major [n, L] labels of the n training images, 1/0/NaN; `TrainPass.rows` index them. */
  readonly labels: Float32Array;
  /** Column order of `labels` and of every batch's labels. */
  readonly labelNames: readonly string[];
  /**
   * A fresh pass over the images of `pass.rows`, shuffled and augmented with `pass.seed` (e.g. the loaders'
   * `evalBatches` with `transform: "train", shuffle: true, seed: pass.seed`). Any batch size: the rows are
   * re-batched into the probe's `batchSize` in arrival order. Each batch is handed over (disposed by the
   * consumer); labels row-major [B, L]. Unreadable images may be skipped.
   */
  readonly batches: (pass: TrainPass) => AsyncIterable<LabeledBatch> | Iterable<LabeledBatch>;
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
