/**
 * Differentiable building blocks written for tfjs' wasm and cpu backends (see docs/performance.md#wasm):
 * every Linear is a 2-D untransposed matMul whose backward also uses untransposed 2-D matMuls
 * (the wasm backend sends only those to XNNPACK), GELU is the exact erf form with a fused gradient,
 * LayerNorm has an analytic backward, and row gathers have a gather-based backward (wasm has no
 * UnsortedSegmentSum, so tf.gather has no gradient there).
 *
 * On the backends that register the fused kernels (native and cuda; src/backend/fused_ops.ts), GELU and LayerNorm run as fused kernels and the
 * matMul backward uses transposed GEMMs directly (no explicit transposes); other backends keep the
 * composite versions below.
 *
 * Ownership: every function returns a new tensor owned by the caller (dispose it or run inside tf.tidy).
 */
import * as tf from "@tensorflow/tfjs-core";
import {
  fusedAttention,
  fusedAttentionGrad,
  fusedGelu,
  fusedGeluGrad,
  fusedLayerNorm,
  fusedLayerNormGrad,
  hasFusedKernels,
} from "../backend/fused_ops.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- tf.customGrad's typings do not accept multi-input functions */
type GradFn = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

const mm2dGrad = tf.customGrad(((a: tf.Tensor2D, b: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b), // [M, N]
    gradFunc: ((dy: tf.Tensor2D, [sa, sb]: tf.Tensor2D[]) =>
      hasFusedKernels()
        ? [tf.matMul(dy, sb!, false, true), tf.matMul(sa!, dy, true, false)] // BLAS transposes in place: [M, K], [K, N]
        : [
            tf.matMul(dy, tf.transpose(sb!)), // dA = dY·Bᵀ  [M, K]
            tf.matMul(tf.transpose(sa!), dy), // dB = Aᵀ·dY  [K, N]
          ]) as GradFn,
  };
}) as any) as unknown as (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/** a·b for 2-D tensors, with a backward made of untransposed 2-D matMuls. [M,K]·[K,N] → [M,N]. */
export function mm2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return mm2dGrad(a, b);
}

const linearFused = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.fused.matMul({ a: x, b: w, bias: b }), // one output [N, out]: the bias add does not keep a second copy
    gradFunc: ((dy: tf.Tensor2D, [sx, sw]: tf.Tensor2D[]) => [
      tf.matMul(dy, sw!, false, true), // [N, in]
      tf.matMul(sx!, dy, true, false), // [in, out]
      tf.sum(dy, 0), // [out]
    ]) as GradFn,
  };
}) as any) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

/** y = x·W + b with W stored [in, out] (PyTorch's weight transposed). [N,in] → [N,out]. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  if (b && hasFusedKernels()) return linearFused(x, w, b);
  const y = mm2d(x, w); // [N, out]
  return b ? tf.add(y, b) : y;
}

/**
 * Multi-head self-attention softmax(scale·QKᵀ)·V on q, k, v [B·T, H·dh] with heads in column blocks.
 * [B·T, D] → [B·T, D]. On the native and cuda backends one fused kernel (no head transposes, only the probabilities
 * kept for the backward); elsewhere composite ops. When `probs` is given it receives the attention
 * probabilities [B, H, T, T] (caller disposes).
 */
export function multiHeadAttention(q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, batch: number, heads: number, probs?: tf.Tensor4D[]): tf.Tensor2D {
  const [rows, d] = q.shape;
  const t = rows / batch;
  const dh = d / heads;
  const scale = 1 / Math.sqrt(dh);
  if (hasFusedKernels()) {
    const f = tf.customGrad(((qq: tf.Tensor2D, kk: tf.Tensor2D, vv: tf.Tensor2D, save: tf.GradSaveFunc) => {
      const [o, p] = fusedAttention(qq, kk, vv, batch, heads, scale); // [B·T, D], [B, H, T, T]
      save([qq, kk, vv, p]);
      if (probs) probs.push(tf.keep(tf.clone(p)));
      return {
        value: o,
        gradFunc: ((dy: tf.Tensor, [sq, sk, sv, sp]: tf.Tensor[]) => fusedAttentionGrad(dy, sq!, sk!, sv!, sp!, batch, heads, scale)) as GradFn,
      };
    }) as any);
    return f(q, k, v) as tf.Tensor2D;
  }
  const split = (y: tf.Tensor2D) => tf.reshape(tf.transpose(tf.reshape(y, [batch, t, heads, dh]), [0, 2, 1, 3]), [batch * heads, t, dh]); // [B·H, T, dh]
  const att = tf.softmax(tf.matMul(tf.mul(split(q), scale) as tf.Tensor3D, split(k), false, true)); // [B·H, T, T]
  if (probs) probs.push(tf.keep(tf.reshape(att, [batch, heads, t, t])));
  return tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, split(v)), [batch, heads, t, dh]), [0, 2, 1, 3]), [rows, d]); // [B·T, D]
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

const geluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return { value: fusedGelu(x), gradFunc: ((dy: tf.Tensor, [sx]: tf.Tensor[]) => fusedGeluGrad(dy, sx!)) as GradFn };
}) as any);

const geluGrad = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  const cdf = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, SQRT1_2)))); // Φ(x)
  return {
    value: tf.mul(x, cdf),
    gradFunc: ((dy: tf.Tensor, [sx]: tf.Tensor[]) => {
      const phi = tf.mul(0.5, tf.add(1, tf.erf(tf.mul(sx!, SQRT1_2))));
      const pdf = tf.mul(INV_SQRT_2PI, tf.exp(tf.mul(-0.5, tf.square(sx!))));
      return tf.mul(dy, tf.add(phi, tf.mul(sx!, pdf))); // dy·(Φ(x) + x·φ(x))
    }) as GradFn,
  };
}) as any);

/** Exact GELU, x·Φ(x) (PyTorch nn.GELU() default), with a fused gradient. Any shape. */
export function gelu<T extends tf.Tensor>(x: T): T {
  return (hasFusedKernels() ? geluFused(x) : geluGrad(x)) as T;
}

/**
 * LayerNorm over the last axis of a 2-D tensor with an analytic backward. [N, D] → [N, D].
 * @param eps added to the biased variance (1e-6 for ViTs).
 */
export function layerNorm(x: tf.Tensor2D, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (hasFusedKernels()) {
    const fused = tf.customGrad(((xx: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
      const [y, xhat, rstd] = fusedLayerNorm(xx, g, b, eps); // [N, D], [N, D], [N, 1]
      save([xhat, rstd, g]);
      return {
        value: y,
        gradFunc: ((dy: tf.Tensor2D, [sxhat, srstd, sg]: tf.Tensor[]) => fusedLayerNormGrad(dy, sxhat!, srstd!, sg!)) as GradFn,
      };
    }) as any);
    return fused(x, gamma, beta) as tf.Tensor2D;
  }
  const f = tf.customGrad(((xx: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, save: tf.GradSaveFunc) => {
    const mean = tf.mean(xx, 1, true); // [N, 1]
    const xc = tf.sub(xx, mean); // [N, D]
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), 1, true), eps)); // [N, 1]
    const xhat = tf.mul(xc, rstd); // [N, D]
    save([xhat, rstd, g]);
    return {
      value: tf.add(tf.mul(xhat, g), b),
      gradFunc: ((dy: tf.Tensor2D, [sxhat, srstd, sg]: tf.Tensor[]) => {
        const dxhat = tf.mul(dy, sg!); // [N, D]
        const m1 = tf.mean(dxhat, 1, true); // [N, 1]
        const m2 = tf.mean(tf.mul(dxhat, sxhat!), 1, true); // [N, 1]
        const dx = tf.mul(srstd!, tf.sub(tf.sub(dxhat, m1), tf.mul(sxhat!, m2))); // [N, D]
        return [dx, tf.sum(tf.mul(dy, sxhat!), 0), tf.sum(dy, 0)];
      }) as GradFn,
    };
  }) as any);
  return f(x, gamma, beta) as tf.Tensor2D;
}

/**
 * Rows `idx` of a 2-D tensor, differentiable on every backend: the backward scatters with a second gather
 * through `inverse` (for each source row, its position in `idx`, or idx.length when the row was dropped).
 * Every source row may appear at most once in `idx`. [R, D] → [idx.length, D].
 */
export function gatherRows(x: tf.Tensor2D, idx: Int32Array, inverse: Int32Array): tf.Tensor2D {
  const f = tf.customGrad(((xx: tf.Tensor2D) => ({
    value: tf.tidy(() => tf.gather(xx, tf.tensor1d(idx, "int32"))), // [K, D]
    gradFunc: ((dy: tf.Tensor2D) =>
      tf.tidy(() => {
        const padded = tf.concat([dy, tf.zeros([1, dy.shape[1]])], 0); // [K+1, D]
        return tf.gather(padded, tf.tensor1d(inverse, "int32")); // [R, D]
      })) as GradFn,
  })) as any);
  return f(x) as tf.Tensor2D;
}

/** Inverse map for `gatherRows`: inverse[r] = position of r in idx, or idx.length if absent. */
export function inverseIndex(idx: Int32Array, rows: number): Int32Array {
  const inv = new Int32Array(rows).fill(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    if (inv[r] !== idx.length) throw new Error(`gatherRows: row ${r} appears twice in the index`);
    inv[r] = i;
  }
  return inv;
}

/**
 * BatchNorm1d in training mode (batch statistics, biased variance), as PyTorch. [N, C] → [N, C].
 * Also returns the batch mean and unbiased variance for the running-statistics update (caller disposes).
 */
export function batchNormTrain(
  x: tf.Tensor2D,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  eps: number,
): { y: tf.Tensor2D; mean: tf.Tensor1D; varUnbiased: tf.Tensor1D } {
  const n = x.shape[0];
  const { mean, variance } = tf.moments(x, 0); // [C], [C]
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta) as tf.Tensor2D;
  // The statistics feed only the running buffers, never the loss, so no gradient flows through them.
  const varUnbiased = tf.mul(variance, n / Math.max(1, n - 1)) as tf.Tensor1D;
  return { y, mean: mean as tf.Tensor1D, varUnbiased };
}

/** The parameters of one pre-norm transformer block (Linear weights [in, out]); q/k/v biases optional. */
export interface BlockParams {
  readonly ln1g: tf.Tensor1D;
  readonly ln1b: tf.Tensor1D;
  readonly wq: tf.Tensor2D;
  readonly wk: tf.Tensor2D;
  readonly wv: tf.Tensor2D;
  readonly bq?: tf.Tensor1D;
  readonly bk?: tf.Tensor1D;
  readonly bv?: tf.Tensor1D;
  readonly wp: tf.Tensor2D;
  readonly bp: tf.Tensor1D;
  readonly ln2g: tf.Tensor1D;
  readonly ln2b: tf.Tensor1D;
  readonly w1: tf.Tensor2D;
  readonly b1: tf.Tensor1D;
  readonly w2: tf.Tensor2D;
  readonly b2: tf.Tensor1D;
}

/** op(a)·op(b) of 2-D tensors as one BatchMatMul kernel call (tf.matMul's kernel, no reshapes). */
const mmKernel = (a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor2D =>
  tf.engine().runKernel("BatchMatMul", { a, b }, { transposeA: ta, transposeB: tb }) as tf.Tensor2D;

/** x·W (+ b) as one kernel call: the _FusedMatMul that tf.fused.matMul runs, on the 2-D tensors directly. */
const linearKernel = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D =>
  b
    ? (tf.engine().runKernel("_FusedMatMul", { a: x, b: w, bias: b }, { transposeA: false, transposeB: false, activation: "linear", leakyreluAlpha: 0.2 }) as tf.Tensor2D)
    : mmKernel(x, w, false, false);

/** Column sums of a 2-D tensor (a bias gradient): the Sum kernel tf.sum(dy, 0) runs. */
const colSum = (dy: tf.Tensor): tf.Tensor1D => tf.engine().runKernel("Sum", { x: dy }, { axis: 0, keepDims: false }) as tf.Tensor1D;

const addKernel = (a: tf.Tensor, b: tf.Tensor): tf.Tensor => tf.engine().runKernel("Add", { a, b }) as tf.Tensor;

/**
 * One pre-norm ViT block on the fused kernels, x + MLP(LN2(x1)) with x1 = x + Attn(LN1(x)), recorded on the
 * gradient tape as one op: its forward runs 13 kernels (no reshapes, nothing cloned but the 13 activations
 * the backward needs) and its backward 30 or so, where the same block written op by op dispatches ~4× as
 * many (each recorded op also clones the inputs its gradient needs). The kernels, their order and the
 * order in which the gradients of shared inputs are summed are those of the op-by-op block (`linear`,
 * `layerNorm`, `multiHeadAttention`, `gelu` and tf.add under tf.grad), so the results are bitwise the same.
 * Fused backends only (`hasFusedKernels()`). [B·T, D] → [B·T, D]; caller owns the result.
 */
export function transformerBlock(x: tf.Tensor2D, p: BlockParams, batch: number, heads: number, eps: number): tf.Tensor2D {
  if (!hasFusedKernels()) throw new Error("transformerBlock needs a backend with the fused kernels (native, cuda)");
  const [rows, d] = x.shape;
  const scale = 1 / Math.sqrt(d / heads);
  const qkvBias = Boolean(p.bq && p.bk && p.bv);
  const params: tf.Tensor[] = [p.ln1g, p.ln1b, p.wq, p.wk, p.wv, ...(qkvBias ? [p.bq!, p.bk!, p.bv!] : []), p.wp, p.bp, p.ln2g, p.ln2b, p.w1, p.b1, p.w2, p.b2];
  const f = tf.customGrad(((...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xx = args[0] as tf.Tensor2D;
    const [h, xhat1, rstd1] = fusedLayerNorm(xx, p.ln1g, p.ln1b, eps); // [N, D], [N, D], [N, 1]
    const q = linearKernel(h, p.wq, p.bq);
    const k = linearKernel(h, p.wk, p.bk);
    const v = linearKernel(h, p.wv, p.bv);
    const [o, probs] = fusedAttention(q, k, v, batch, heads, scale); // [N, D], [B, H, T, T]
    const x1 = addKernel(xx, linearKernel(o, p.wp, p.bp)) as tf.Tensor2D;
    const [h2, xhat2, rstd2] = fusedLayerNorm(x1, p.ln2g, p.ln2b, eps);
    const z = linearKernel(h2, p.w1, p.b1); // [N, hidden]
    const g = fusedGelu(z);
    const y = addKernel(x1, linearKernel(g, p.w2, p.b2)) as tf.Tensor2D;
    save([xhat1, rstd1, h, q, k, v, probs, o, xhat2, rstd2, h2, z, g]);
    return {
      value: y,
      gradFunc: ((dy: tf.Tensor2D, s: tf.Tensor[]) => {
        const [sxhat1, srstd1, sh, sq, sk, sv, sp, so, sxhat2, srstd2, sh2, sz, sg] = s as tf.Tensor2D[];
        // MLP branch (the tape's reverse order: fc2, gelu, fc1, norm2)
        const dg = mmKernel(dy, p.w2, false, true);
        const dw2 = mmKernel(sg!, dy, true, false);
        const db2 = colSum(dy);
        const dz = fusedGeluGrad(dg, sz!);
        const dh2 = mmKernel(dz, p.w1, false, true);
        const dw1 = mmKernel(sh2!, dz, true, false);
        const db1 = colSum(dz);
        const [dx1n, dln2g, dln2b] = fusedLayerNormGrad(dh2, sxhat2!, srstd2!, p.ln2g);
        const dx1 = addKernel(dy, dx1n); // x1 feeds the residual add (first) and norm2
        // attention branch: proj, attention, then v, k, q (the reverse of their creation)
        const dO = mmKernel(dx1, p.wp, false, true);
        const dwp = mmKernel(so!, dx1, true, false);
        const dbp = colSum(dx1);
        const [dq, dk, dv] = fusedAttentionGrad(dO, sq!, sk!, sv!, sp!, batch, heads, scale);
        const dhv = mmKernel(dv, p.wv, false, true);
        const dwv = mmKernel(sh!, dv, true, false);
        const dhk = mmKernel(dk, p.wk, false, true);
        const dwk = mmKernel(sh!, dk, true, false);
        const dhq = mmKernel(dq, p.wq, false, true);
        const dwq = mmKernel(sh!, dq, true, false);
        const dh = addKernel(addKernel(dhv, dhk), dhq);
        const [dxn, dln1g, dln1b] = fusedLayerNormGrad(dh, sxhat1!, srstd1!, p.ln1g);
        const dx = addKernel(dx1, dxn); // x feeds the residual add (first) and norm1
        const biases = qkvBias ? [colSum(dq), colSum(dk), colSum(dv)] : [];
        return [dx, dln1g, dln1b, dwq, dwk, dwv, ...biases, dwp, dbp, dln2g, dln2b, dw1, db1, dw2, db2];
      }) as GradFn,
    };
  }) as any);
  const y = f(x, ...params) as tf.Tensor2D;
  if (y.shape[0] !== rows) throw new Error("transformerBlock: shape mismatch");
  return y;
}
