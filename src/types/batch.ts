/**
 * The batch contract between data and training. `src/` never imports `data-loaders/`: loaders produce
 * `MsnBatch` objects and the trainer consumes an `AsyncIterable<MsnBatch>`.
 *
 * Images are NHWC float32, already normalised. Views follow lightly's MSNTransform order:
 * views[0] = target, views[1 .. R] = random anchors (R = 1 in the paper), then the focal anchors.
 * Several views of one kind are stacked view-major (all images of view 0, then all of view 1, ...),
 * matching `torch.cat(views)` in the official code.
 */
import type * as tf from "@tensorflow/tfjs-core";

/** One MSN training batch: the target view, the anchor views and optional EHR rows (NHWC, normalised). */
export interface MsnBatch {
  /** [B, S, S, C] unmasked target views (S = randSize, 224 in the paper). */
  readonly target: tf.Tensor4D;
  /** [R*B, S, S, C] random anchor views, view-major (R = 1 in the paper). */
  readonly anchors: tf.Tensor4D;
  /** [V*B, s, s, C] focal anchor views, view-major (V = 10, s = 96 in the paper). May have 0 rows. */
  readonly focal: tf.Tensor4D;
  /** [B, ehrIn] EHR feature vectors; absent for vanilla MSN. */
  readonly ehr?: tf.Tensor2D;
}

/**
 * Dispose every tensor of a batch. The producer of a batch owns it until it hands it to a consumer;
 * `pretrain` and `trainRun` dispose each batch after its step; `MultimodalMSN.trainStep` does not.
 */
export function disposeBatch(batch: MsnBatch): void {
  batch.target.dispose();
  batch.anchors.dispose();
  batch.focal.dispose();
  batch.ehr?.dispose();
}
