/** MultimodalMSN's gradients before their device read: keyed by parameter name, the loss values on the device. */
import * as tf from "@tensorflow/tfjs-core";
import type { KeepIndices } from "../models/masking.js";
import type { VisionTransformer } from "../models/vit.js";

/** A named trainable variable (an optimizer parameter). */
interface Named {
  readonly name: string;
  readonly variable: tf.Variable;
}

/** Gradients as `MultimodalMSN.gradients` computes them, before any device read: the caller disposes both. */
export interface PendingGradients {
  /** [loss, ce, meMax, entropy]. */
  readonly losses: tf.Tensor1D;
  readonly grads: Map<string, tf.Tensor>;
}

/**
 * [loss, ...parts] plus the gradients of `params` keyed by parameter name (`extra` first); disposes what is
 * not returned (`value` and `parts` too).
 */
export function pendingGradients(params: readonly Named[], value: tf.Scalar, grads: tf.NamedTensorMap, parts: tf.Tensor1D, extra = new Map<string, tf.Tensor>()): PendingGradients {
  const losses = tf.tidy(() => tf.concat([tf.reshape(value, [1]), parts]) as tf.Tensor1D); // [4]
  tf.dispose([value, parts]);
  const byName = new Map<string, tf.Tensor>(extra);
  const used = new Set<tf.Tensor>();
  for (const p of params) {
    const g = grads[p.variable.name];
    if (g && !byName.has(p.name)) {
      byName.set(p.name, g);
      used.add(g);
    }
  }
  for (const g of Object.values(grads)) if (!used.has(g)) g.dispose();
  return { losses, grads: byName };
}

/** What {@link chunkedGradients} returns; the caller disposes every tensor. */
export interface ChunkedGradients {
  /** The loss. */
  readonly value: tf.Scalar;
  /** Gradients of the variables after the encoder, by variable name (tf's `variableGrads` keys). */
  readonly grads: tf.NamedTensorMap;
  /** Gradients of the encoder parameters, by parameter name. */
  readonly encoderGrads: Map<string, tf.Tensor>;
}

/**
 * Exact gradients with bounded memory (`MultimodalMSN.encoderChunk`). The ViT treats every image
 * independently, so: (a) encode the anchor views in chunks without a tape; (b) differentiate what follows the
 * encoder (EHR fusion, head and loss) over the whole batch (BatchNorm, ME-MAX and Sinkhorn see every view)
 * with respect to its parameters *and* the CLS features; (c) re-encode each chunk on a tape and pull the CLS
 * gradient back into the encoder, summing over chunks. Costs one extra encoder forward; peak memory is one
 * chunk's activations.
 * @param groups the anchor image groups [N, S, S, C] with their kept tokens, in the order their CLS rows are concatenated.
 * @param after from the CLS features [(R+V)·B, D] to the scalar loss (run on a tape).
 */
export function chunkedGradients(
  encoder: VisionTransformer,
  encoderParams: readonly Named[],
  afterVars: tf.Variable[],
  groups: readonly (readonly [tf.Tensor4D, KeepIndices | undefined])[],
  chunk: number,
  after: (cls: tf.Tensor2D) => tf.Scalar,
): ChunkedGradients {
  const all = groups.flatMap(([images, keep]) => pieces(images, keep, chunk));
  // (a) CLS features of every anchor view, no tape: [(R+V)·B, D]
  const feats = tf.tidy(() => tf.concat(all.map((p) => tf.tidy(() => encoder.forward(p.images(), p.keep))), 0));
  const cls = tf.variable(feats, true, `cls_${Date.now()}_${Math.random()}`);
  feats.dispose();
  // (b) fusion + head + loss over the whole batch
  const { value, grads } = tf.variableGrads(() => after(cls as unknown as tf.Tensor2D), [...afterVars, cls]);
  const dCls = grads[cls.name]!; // [(R+V)·B, D]
  delete grads[cls.name];
  cls.dispose();
  // (c) encoder gradients, chunk by chunk
  const encoderGrads = new Map<string, tf.Tensor>();
  let row = 0;
  for (const p of all) {
    const dy = tf.slice(dCls, [row, 0], [p.rows, -1]);
    row += p.rows;
    const g = tf.variableGrads(() => tf.tidy(() => tf.sum(tf.mul(encoder.forward(p.images(), p.keep), dy))) as tf.Scalar, encoderParams.map((e) => e.variable));
    g.value.dispose();
    dy.dispose();
    for (const e of encoderParams) {
      const gi = g.grads[e.variable.name];
      if (!gi) continue;
      const prev = encoderGrads.get(e.name);
      encoderGrads.set(e.name, prev ? tf.tidy(() => tf.add(prev, gi)) : gi);
      if (prev) (prev.dispose(), gi.dispose());
    }
  }
  dCls.dispose();
  return { value, grads, encoderGrads };
}

/** `images` in chunks of at most `chunk` rows, each with its slice of the kept tokens. */
function pieces(images: tf.Tensor4D, keep: KeepIndices | undefined, chunk: number) {
  const n = images.shape[0];
  const out: { images: () => tf.Tensor4D; keep?: KeepIndices; rows: number }[] = [];
  for (let i = 0; i < n; i += chunk) {
    const j = Math.min(n, i + chunk);
    out.push({
      images: () => tf.slice(images, [i, 0, 0, 0], [j - i, -1, -1, -1]) as tf.Tensor4D,
      keep: keep && { batch: j - i, keep: keep.keep, tokens: keep.tokens, idx: keep.idx.subarray(i * keep.keep, j * keep.keep) },
      rows: j - i,
    });
  }
  return out;
}
