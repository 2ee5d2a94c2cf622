/**
 * Shape logic shared by the native and cuda backends' kernels: the elementwise broadcast plan, the batched
 * matMul plan, and `fusedInputs`, the one input check of every fused kernel (they have no cpu fallback, so a
 * bad input is a clear error before any output or device access). Pure functions of tensor shapes.
 */
import * as tf from "@tensorflow/tfjs-core";
import type { FUSED } from "./fused_ops.js";

/**
 * Output shape and per-input element strides (0 where broadcast) after merging dims that are contiguous
 * in both inputs, so `[N,D] + [D]` becomes one 2-D loop and same-shape ops one flat loop.
 */
export function broadcastPlan(sa: readonly number[], sb: readonly number[]): { outShape: number[]; shape: number[]; stA: number[]; stB: number[] } {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(sa as number[], sb as number[]);
  const r = outShape.length;
  const strides = (s: readonly number[]) => {
    const st = new Array<number>(r).fill(0);
    let acc = 1;
    for (let d = r - 1; d >= 0; d--) {
      const dim = s[d - (r - s.length)] ?? 1;
      st[d] = dim === 1 ? 0 : acc;
      acc *= dim;
    }
    return st;
  };
  const fa = strides(sa);
  const fb = strides(sb);
  const shape: number[] = [];
  const stA: number[] = [];
  const stB: number[] = [];
  for (let d = 0; d < r; d++) {
    if (outShape[d] === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && stA[last] === fa[d]! * outShape[d]! && stB[last] === fb[d]! * outShape[d]!) {
      shape[last]! *= outShape[d]!;
      stA[last] = fa[d]!;
      stB[last] = fb[d]!;
    } else {
      shape.push(outShape[d]!);
      stA.push(fa[d]!);
      stB.push(fb[d]!);
    }
  }
  return { outShape, shape, stA, stB };
}

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
function rows2d(kernel: string, name: string, t: tf.TensorInfo | undefined): [number, number] {
  if (!t || t.shape.length !== 2) throw new Error(`${kernel}: input "${name}" must be rank 2 [N, D], got [${t?.shape ?? ""}]`);
  return t.shape as [number, number];
}

/** [B·T, D] rows split into `batch` sequences and D into `heads` equal column blocks, else a clear error. */
function attentionDims(kernel: string, q: tf.TensorInfo | undefined, batch: number, heads: number): { rows: number; d: number; t: number } {
  const [rows, d] = rows2d(kernel, "q", q);
  if (!Number.isInteger(batch) || batch <= 0 || rows % batch !== 0) throw new Error(`${kernel}: ${rows} rows do not split into batch ${batch}`);
  if (!Number.isInteger(heads) || heads <= 0 || d % heads !== 0) throw new Error(`${kernel}: width ${d} does not split into ${heads} heads`);
  return { rows, d, t: rows / batch };
}

/** `t`, else the error naming the missing input. */
function present(kernel: string, name: string, t: tf.TensorInfo | undefined): tf.TensorInfo {
  if (!t) throw new Error(`${kernel}: input "${name}" is missing`);
  return t;
}

/** Check an input of a fused kernel: present, float32, exactly `shape`; else a clear error. */
function checkFusedInput(kernel: string, name: string, maybe: tf.TensorInfo | undefined, shape: readonly number[]): tf.TensorInfo {
  const t = present(kernel, name, maybe);
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

/** The inputs of each fused kernel, in the order they are checked. */
interface FusedInputNames {
  [FUSED.LayerNorm]: "x" | "gamma" | "beta";
  [FUSED.LayerNormGrad]: "dy" | "xhat" | "rstd" | "gamma";
  [FUSED.Gelu]: "x";
  [FUSED.GeluGrad]: "x" | "dy";
  [FUSED.AdamW]: "p" | "m" | "v" | "g";
  [FUSED.Attention]: "q" | "k" | "v";
  [FUSED.AttentionGrad]: "dy" | "q" | "k" | "v" | "probs";
}
/** A fused kernel's name (a value of FUSED). */
export type FusedKernel = (typeof FUSED)[keyof typeof FUSED];

type Inputs = Record<string, tf.TensorInfo | undefined>;
const shapeOf = (kernel: string, name: string, t: tf.TensorInfo | undefined): number[] => present(kernel, name, t).shape;

const batchHeads = (attrs: tf.NamedAttrMap | undefined): [number, number] => {
  const { batch, heads } = attrs as unknown as AttentionAttrs;
  return [batch, heads];
};

/** Each fused kernel's inputs and the shape each must have, from the first input's shape (and attributes). */
const FUSED_INPUTS: { [K in FusedKernel]: (i: Inputs, attrs: tf.NamedAttrMap | undefined) => [FusedInputNames[K], readonly number[]][] } = {
  MmsnLayerNorm: (i) => {
    const [n, d] = rows2d("MmsnLayerNorm", "x", i.x);
    return [["x", [n, d]], ["gamma", [d]], ["beta", [d]]];
  },
  MmsnLayerNormGrad: (i) => {
    const [n, d] = rows2d("MmsnLayerNormGrad", "dy", i.dy);
    return [["dy", [n, d]], ["xhat", [n, d]], ["rstd", [n, 1]], ["gamma", [d]]];
  },
  MmsnGelu: (i) => [["x", shapeOf("MmsnGelu", "x", i.x)]],
  MmsnGeluGrad: (i) => {
    const s = shapeOf("MmsnGeluGrad", "x", i.x);
    return [["x", s], ["dy", s]];
  },
  MmsnAdamW: (i) => {
    const s = shapeOf("MmsnAdamW", "p", i.p);
    return (["p", "m", "v", "g"] as const).map((n) => [n, s]);
  },
  MmsnAttention: (i, attrs) => {
    const { rows, d } = attentionDims("MmsnAttention", i.q, ...batchHeads(attrs));
    return (["q", "k", "v"] as const).map((n) => [n, [rows, d]]);
  },
  MmsnAttentionGrad: (i, attrs) => {
    const [batch, heads] = batchHeads(attrs);
    const { rows, d, t } = attentionDims("MmsnAttentionGrad", i.q, batch, heads);
    return [["dy", [rows, d]], ["q", [rows, d]], ["k", [rows, d]], ["v", [rows, d]], ["probs", [batch, heads, t, t]]];
  },
};

/**
 * The inputs of a fused kernel by name, each checked (present, float32, the exact shape the kernel needs):
 * a clear error naming the kernel and the input otherwise, before any output exists. These kernels have no
 * cpu fallback, so this is what stands between a bad input and an out-of-bounds read.
 */
export function fusedInputs<K extends FusedKernel>(kernel: K, inputs: tf.NamedTensorInfoMap, attrs?: tf.NamedAttrMap): Record<FusedInputNames[K], tf.TensorInfo> {
  const i = inputs as Inputs;
  const specs = FUSED_INPUTS[kernel](i, attrs) as [FusedInputNames[K], readonly number[]][];
  return Object.fromEntries(specs.map(([name, shape]) => [name, checkFusedInput(kernel, name, i[name], shape)])) as Record<FusedInputNames[K], tf.TensorInfo>;
}

/** A fused attention call with every input checked: its attributes, dimensions and inputs by name. */
export interface AttentionCall<K extends "MmsnAttention" | "MmsnAttentionGrad"> extends AttentionAttrs {
  rows: number;
  d: number;
  t: number;
  dh: number;
  inputs: Record<FusedInputNames[K], tf.TensorInfo>;
}

/** MmsnAttention (q, k, v [B·T, D]) or MmsnAttentionGrad (also dy [B·T, D], probs [B, H, T, T]), checked by `fusedInputs`. */
export function attentionCall<K extends "MmsnAttention" | "MmsnAttentionGrad">(kernel: K, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): AttentionCall<K> {
  const { batch, heads, scale } = attrs as unknown as AttentionAttrs;
  const checked = fusedInputs(kernel, inputs, attrs);
  const [rows, d] = (checked as Record<"q", tf.TensorInfo>).q.shape as [number, number]; // [B·T, D], split checked
  return { batch, heads, scale, rows, d, t: rows / batch, dh: d / heads, inputs: checked };
}
