/**
 * The package's fused kernels (LayerNorm, GELU, multi-head attention, AdamW): their tfjs kernel names and
 * the calls that run them. Every backend of this package with its own kernels registers all seven: the
 * native backend (./native, C++ on the CPU) and the cuda backend (./cuda, on a GPU or the addon's host
 * reference device), both through `kernelTable` (./kernel_registry.ts). src/nn/ops.ts and src/optim/adamw.ts
 * call them when `hasFusedKernels()` and keep their composite tfjs-op versions for every other backend (wasm,
 * cpu, webgpu, tensorflow). This module loads no addon, so importing it is free everywhere.
 */
import * as tf from "@tensorflow/tfjs-core";

export const FUSED = {
  LayerNorm: "MmsnLayerNorm",
  LayerNormGrad: "MmsnLayerNormGrad",
  Gelu: "MmsnGelu",
  GeluGrad: "MmsnGeluGrad",
  AdamW: "MmsnAdamW",
  Attention: "MmsnAttention",
  AttentionGrad: "MmsnAttentionGrad",
} as const;

/**
 * True when the active backend implements the fused kernels (MMSN_FUSED=0 turns them off, for A/B tests).
 * Asked on every op that has a fused version, so it stays a lookup: the environment variable, then the
 * kernel registry for the active backend (native or cuda register all seven kernels; LayerNorm stands for them).
 */
export function hasFusedKernels(): boolean {
  return process.env.MMSN_FUSED !== "0" && tf.getKernel(FUSED.LayerNorm, tf.getBackend()) !== undefined;
}

/**
 * LayerNorm over the last axis: [N, D] → y [N, D], plus xhat [N, D] and rstd [N, 1] for the backward.
 * The caller owns (disposes) all three.
 */
export function fusedLayerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return tf.engine().runKernel(FUSED.LayerNorm, { x, gamma, beta }, { eps }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** LayerNorm backward: → [dx [N, D], dgamma [D], dbeta [D]], owned by the caller. */
export function fusedLayerNormGrad(dy: tf.Tensor, xhat: tf.Tensor, rstd: tf.Tensor, gamma: tf.Tensor): [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D] {
  return tf.engine().runKernel(FUSED.LayerNormGrad, { dy, xhat, rstd, gamma }) as unknown as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
}

/** Exact GELU x·Φ(x), any shape; caller owns the result. */
export function fusedGelu<T extends tf.Tensor>(x: T): T {
  return tf.engine().runKernel(FUSED.Gelu, { x }) as T;
}

/** GELU backward dy·(Φ(x) + x·φ(x)); caller owns the result. */
export function fusedGeluGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.engine().runKernel(FUSED.GeluGrad, { dy, x }) as tf.Tensor;
}

/** Hyper-parameters of one fused AdamW update (see src/optim/adamw.ts for the maths). */
export interface FusedAdamWAttrs {
  decay: number;
  b1: number;
  b2: number;
  gscale: number;
  invBc2Sqrt: number;
  eps: number;
  lrBc1: number;
}

/** One AdamW update → [p', m', v'] (new tensors owned by the caller; the inputs are unchanged). */
export function fusedAdamW(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, g: tf.Tensor, attrs: FusedAdamWAttrs): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(FUSED.AdamW, { p, m, v, g }, attrs as unknown as tf.NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * Multi-head attention softmax(scale·QKᵀ)·V on q, k, v [B·T, H·dh] (heads in column blocks, as the linear
 * layers produce them) → [o [B·T, H·dh], probabilities [B, H, T, T]], both owned by the caller.
 */
export function fusedAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, heads: number, scale: number): [tf.Tensor2D, tf.Tensor4D] {
  return tf.engine().runKernel(FUSED.Attention, { q, k, v }, { batch, heads, scale }) as unknown as [tf.Tensor2D, tf.Tensor4D];
}

/** Attention backward → [dq, dk, dv] [B·T, H·dh], owned by the caller. */
export function fusedAttentionGrad(dy: tf.Tensor, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, probs: tf.Tensor, batch: number, heads: number, scale: number): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return tf.engine().runKernel(FUSED.AttentionGrad, { dy, q, k, v, probs }, { batch, heads, scale }) as unknown as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}
