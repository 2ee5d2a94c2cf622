/**
 * The MSN objective as pure functions (Assran et al. 2022, §3; lightly MSNLoss; msn src/losses.py).
 *
 * Step 1. L2-normalise anchor outputs, target outputs and prototypes.
 * Step 2. Prototype probabilities p = softmax(z·Pᵀ / τ) for anchors and targets.
 * Step 3. Targets: sharpen p⁺ with temperature T, balance with Sinkhorn, repeat for every anchor view
 *         (no gradient through the target branch).
 * Step 4. Cross-entropy H(p⁺, p) averaged over all anchor views, plus λ·ME-MAX (Σ p̄ log p̄ + log K,
 *         p̄ the mean anchor probability) and an optional anchor-entropy term.
 *
 * Ownership: every function returns new tensors owned by the caller.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Row-wise L2 normalisation like F.normalize(x, dim=1, eps=1e-12). [N, D] → [N, D]. */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.div(x, tf.maximum(tf.norm(x, "euclidean", 1, true), 1e-12)) as tf.Tensor2D);
}

/** log softmax(norm(q)·norm(P)ᵀ / τ): log prototype probabilities. [N, D], [K, D] → [N, K]. */
export function prototypeLogProbabilities(queries: tf.Tensor2D, prototypes: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const cos = tf.matMul(l2Normalize(queries), l2Normalize(prototypes), false, true); // [N, K]
    return tf.logSoftmax(tf.div(cos, temperature)) as tf.Tensor2D;
  });
}

/** Sharpen probabilities: p^(1/T), renormalised per row. [N, K] → [N, K]. */
export function sharpen(p: tf.Tensor2D, temperature: number): tf.Tensor2D {
  return tf.tidy(() => {
    const s = tf.pow(p, 1 / temperature);
    return tf.div(s, tf.sum(s, 1, true)) as tf.Tensor2D;
  });
}

/**
 * Sinkhorn–Knopp balancing (lightly `sinkhorn`, msn `distributed_sinkhorn`, single process): alternately
 * normalise so each prototype gets equal mass and each sample sums to one. [N, K] → [N, K], rows sum to 1.
 */
export function sinkhorn(p: tf.Tensor2D, iterations: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [n, k] = p.shape;
    let q = tf.transpose(p) as tf.Tensor2D; // [K, N]
    q = tf.div(q, tf.sum(q));
    for (let i = 0; i < iterations; i++) {
      q = tf.div(tf.div(q, tf.sum(q, 1, true)), k); // each prototype: total mass 1/K
      q = tf.div(tf.div(q, tf.sum(q, 0, true)), n); // each sample: total mass 1/N
    }
    return tf.transpose(tf.mul(q, n)) as tf.Tensor2D; // [N, K]
  });
}

export interface TargetOptions {
  /** Softmax temperature τ (0.1). */
  readonly temperature: number;
  /** Sharpening temperature T (0.25). */
  readonly sharpen: number;
  /** Sinkhorn iterations (3); 0 = off. */
  readonly sinkhornIters: number;
}

/** Step 3: target distributions p⁺ from target outputs. [B, O], [K, O] → [B, K]. Call outside a gradient tape. */
export function msnTargets(targets: tf.Tensor2D, prototypes: tf.Tensor2D, o: TargetOptions): tf.Tensor2D {
  return tf.tidy(() => {
    const p = sharpen(tf.exp(prototypeLogProbabilities(targets, prototypes, o.temperature)) as tf.Tensor2D, o.sharpen);
    return o.sinkhornIters > 0 ? sinkhorn(p, o.sinkhornIters) : p;
  });
}

export interface LossOptions {
  readonly temperature: number;
  /** λ for ME-MAX (1.0). */
  readonly meMaxWeight: number;
  /** Weight of the mean anchor entropy (0 in MSN's configs). */
  readonly entropyWeight: number;
}

/** The loss and its parts, scalars owned by the caller. */
export interface MsnLossParts {
  readonly total: tf.Scalar;
  /** Cross-entropy H(p⁺, p) averaged over anchor views. */
  readonly ce: tf.Scalar;
  /** Σ p̄ log p̄ + log K (≥ 0, 0 when predictions use all prototypes equally). */
  readonly meMax: tf.Scalar;
  /** Mean entropy of anchor predictions. */
  readonly entropy: tf.Scalar;
}

/**
 * Step 4: the MSN loss for anchor outputs against fixed targets.
 * @param anchors [V·B, O] projected anchor views, view-major.
 * @param targetProbs [B, K] from `msnTargets` (treated as constants).
 * @param prototypes [K, O].
 */
export function msnLoss(anchors: tf.Tensor2D, targetProbs: tf.Tensor2D, prototypes: tf.Tensor2D, o: LossOptions): MsnLossParts {
  const views = anchors.shape[0] / targetProbs.shape[0];
  if (!Number.isInteger(views)) {
    throw new Error(`msnLoss: ${anchors.shape[0]} anchor rows is not a multiple of ${targetProbs.shape[0]} targets`);
  }
  const k = prototypes.shape[0];
  const logp = prototypeLogProbabilities(anchors, prototypes, o.temperature); // [V·B, K]
  const p = tf.exp(logp); // [V·B, K]
  const q = tf.tile(targetProbs, [views, 1]); // [V·B, K]
  const ce = tf.mean(tf.neg(tf.sum(tf.mul(q, logp), 1))) as tf.Scalar;
  const pBar = tf.mean(p, 0); // [K]
  const meMax = tf.add(tf.sum(tf.mul(pBar, tf.log(pBar))), Math.log(k)) as tf.Scalar;
  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(p, logp), 1))) as tf.Scalar;
  let total = tf.add(ce, tf.mul(meMax, o.meMaxWeight)) as tf.Scalar;
  if (o.entropyWeight !== 0) total = tf.add(total, tf.mul(entropy, o.entropyWeight)) as tf.Scalar;
  for (const t of [logp, p, q, pBar]) t.dispose();
  return { total, ce, meMax, entropy };
}
