/**
 * Shape logic shared by the native and cuda backends' kernels: the batched matMul plan and the input checks
 * of the fused kernels (which have no cpu fallback, so a bad input is a clear error before any output or
 * device access). Pure functions of tensor shapes.
 */
import * as tf from "@tensorflow/tfjs-core";

/** Dimensions of C = op(A)·op(B) over broadcast batches, with per-side batch strides in elements (0 = broadcast). */
export interface MatmulPlan {
  m: number;
  n: number;
  k: number;
  batch: number;
  strideA: number;
  strideB: number;
  /** [...batch, M, N], tfjs' rule: the shorter batch shape is padded with leading 1s ([3,4]·[1,4,5] → [1,3,5]). */
  outShape: number[];
}

/**
 * The plan of a batched matMul, or undefined when the batches broadcast other than "equal, or one side 1"
 * (the caller falls back); throws tfjs' message when the inner dimensions differ.
 */
export function matmulPlan(a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): MatmulPlan | undefined {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  const sameBatch = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  if (!(sameBatch || batchA === 1 || batchB === 1)) return undefined;
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${ta} and transposeB=${tb} must match.`);
  const outShape = [...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
  return { m, n, k, batch: Math.max(batchA, batchB), strideA: batchA === 1 ? 0 : m * k, strideB: batchB === 1 ? 0 : k * n, outShape };
}

/** [N, D] of a rank-2 input, else a clear error. */
export function rows2d(kernel: string, name: string, t: tf.TensorInfo | undefined): [number, number] {
  if (!t || t.shape.length !== 2) throw new Error(`${kernel}: input "${name}" must be rank 2 [N, D], got [${t?.shape ?? ""}]`);
  return t.shape as [number, number];
}

/** [B·T, D] rows split into `batch` sequences and D into `heads` equal column blocks, else a clear error. */
export function attentionDims(kernel: string, q: tf.TensorInfo | undefined, batch: number, heads: number): { rows: number; d: number; t: number; dh: number } {
  const [rows, d] = rows2d(kernel, "q", q);
  if (!Number.isInteger(batch) || batch <= 0 || rows % batch !== 0) throw new Error(`${kernel}: ${rows} rows do not split into batch ${batch}`);
  if (!Number.isInteger(heads) || heads <= 0 || d % heads !== 0) throw new Error(`${kernel}: width ${d} does not split into ${heads} heads`);
  return { rows, d, t: rows / batch, dh: d / heads };
}

/** Check an input of a fused kernel: present, float32, exactly `shape`; else a clear error. */
export function checkFusedInput(kernel: string, name: string, t: tf.TensorInfo | undefined, shape: readonly number[]): tf.TensorInfo {
  if (!t) throw new Error(`${kernel}: input "${name}" is missing`);
  if (t.dtype !== "float32") throw new Error(`${kernel}: input "${name}" must be float32, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${kernel}: input "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  return t;
}

/** Attributes of the fused attention kernels (src/nn's MmsnAttention and MmsnAttentionGrad). */
export interface AttentionAttrs {
  batch: number;
  heads: number;
  scale: number;
}

/** A fused attention call with every input checked: its attributes, dimensions and inputs in kernel order. */
export interface AttentionCall<Names extends string> extends AttentionAttrs {
  rows: number;
  d: number;
  t: number;
  dh: number;
  inputs: Record<Names, tf.TensorInfo>;
}

/**
 * Check MmsnAttention (q, k, v [B·T, D]) or MmsnAttentionGrad (dy, q, k, v [B·T, D], probs [B, H, T, T]):
 * a clear error for any missing, non-float32 or misshapen input, before any output exists.
 */
export function attentionCall(kernel: "MmsnAttention", inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): AttentionCall<"q" | "k" | "v">;
export function attentionCall(kernel: "MmsnAttentionGrad", inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): AttentionCall<"dy" | "q" | "k" | "v" | "probs">;
export function attentionCall(kernel: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): AttentionCall<string> {
  const { batch, heads, scale } = attrs as unknown as AttentionAttrs;
  const { rows, d, t, dh } = attentionDims(kernel, inputs.q, batch, heads);
  const names = kernel === "MmsnAttentionGrad" ? ["dy", "q", "k", "v", "probs"] : ["q", "k", "v"];
  const checked = Object.fromEntries(names.map((name) => [name, checkFusedInput(kernel, name, inputs[name], name === "probs" ? [batch, heads, t, t] : [rows, d])]));
  return { batch, heads, scale, rows, d, t, dh, inputs: checked };
}
