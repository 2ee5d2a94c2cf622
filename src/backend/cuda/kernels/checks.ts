/**
 * Input checks of the fused kernels, with the native backend's messages (src/backend/native/kernels/fused.ts).
 * These kernels have no cpu fallback, so a bad input is a clear error, never an out-of-bounds device read;
 * every check runs before any output is allocated.
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { Buf } from "../addon.js";
import type { Backend } from "./util.js";

/** Device buffer of a float32 input of exactly `shape`, else a clear error. */
export function input(be: Backend, kernel: string, name: string, t: tf.TensorInfo | undefined, shape: readonly number[]): Buf {
  if (!t) throw new Error(`${kernel}: input "${name}" is missing`);
  if (t.dtype !== "float32") throw new Error(`${kernel}: input "${name}" must be float32, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${kernel}: input "${name}" has shape [${t.shape}], expected [${shape}]`);
  }
  return be.buf(t);
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
