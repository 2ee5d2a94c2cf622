/**
 * Per-parameter-list kernels: one tfjs kernel call for an operation that a training step applies to every
 * parameter (the EMA target update, Σ‖g‖² over the gradients, the AdamW update). Each replaces N (EMA: 3N,
 * Σ‖g‖²: 2N+1) engine dispatches of tiny ops by one, with the same native arithmetic in the same order, so
 * results are bitwise those of the per-parameter ops. Only the native backend registers them
 * (src/backend/native/kernels/multi.ts); callers ask {@link hasMultiKernels} and keep their per-parameter
 * ops elsewhere. This module loads no addon.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { FusedAdamWAttrs } from "./fused_ops.js";

export const MULTI = {
  Ema: "MmsnEmaMulti",
  SumSquares: "MmsnSumSquaresMulti",
  AdamW: "MmsnAdamWMulti",
} as const;

/** True when the active backend registers the multi-parameter kernels (MMSN_FUSED=0 turns them off too). */
export function hasMultiKernels(): boolean {
  return process.env.MMSN_FUSED !== "0" && tf.getKernel(MULTI.Ema, tf.getBackend()) !== undefined;
}

const named = (prefix: string, ts: readonly tf.Tensor[]): tf.NamedTensorMap => Object.fromEntries(ts.map((t, i) => [`${prefix}${i}`, t]));

/**
 * EMA of every pair: target[i]·m + online[i]·(1 − m) (float32 m and 1 − m, as `tf.mul(t, m)` rounds them).
 * Returns new tensors owned by the caller, one per pair.
 */
export function multiEma(targets: readonly tf.Tensor[], onlines: readonly tf.Tensor[], momentum: number): tf.Tensor[] {
  if (targets.length !== onlines.length) throw new Error(`multiEma: ${targets.length} targets but ${onlines.length} online tensors`);
  if (targets.length === 0) return [];
  const out = tf.engine().runKernel(MULTI.Ema, { ...named("t", targets), ...named("o", onlines) }, { momentum, count: targets.length });
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}

/** Σᵢ Σ gᵢ² over `grads` (at least one): a scalar owned by the caller, bitwise `addN(grads.map(g => sum(square(g))))`. */
export function multiSumOfSquares(grads: readonly tf.Tensor[]): tf.Scalar {
  if (grads.length === 0) throw new Error("multiSumOfSquares: no tensors");
  return tf.engine().runKernel(MULTI.SumSquares, named("g", grads), { count: grads.length }) as tf.Scalar;
}

/** One AdamW update of every parameter (`decays[i]` its decay factor) → [p'₀, m'₀, v'₀, p'₁, …], owned by the caller. */
export function multiAdamW(
  ps: readonly tf.Tensor[],
  ms: readonly tf.Tensor[],
  vs: readonly tf.Tensor[],
  gs: readonly tf.Tensor[],
  decays: readonly number[],
  attrs: Omit<FusedAdamWAttrs, "decay">,
): tf.Tensor[] {
  const n = ps.length;
  if (ms.length !== n || vs.length !== n || gs.length !== n || decays.length !== n) throw new Error("multiAdamW: lists of different lengths");
  if (n === 0) return [];
  const inputs = { ...named("p", ps), ...named("m", ms), ...named("v", vs), ...named("g", gs) };
  const out = tf.engine().runKernel(MULTI.AdamW, inputs, { ...attrs, decays: [...decays], count: n } as unknown as tf.NamedAttrMap);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}
