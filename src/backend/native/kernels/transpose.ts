/** Transpose of 4-byte tensors (float32, int32) of rank ≤ 8. */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, type KernelArgs, words } from "./util.js";

/** Transposed copy of `values` (shape `shape`) by `perm`; a new array (float32: from the pool) the caller owns. */
export function transposeValues(be: Backend, values: Float32Array | Int32Array, shape: readonly number[], perm: number[]): Float32Array | Int32Array {
  const out = values instanceof Float32Array ? be.pool.take(values.length) : new Int32Array(values.length);
  if (values.length > 0) be.addon.transpose(shape as number[], perm, values, out, 4);
  return out;
}

export function transpose({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const { perm } = attrs as unknown as { perm: number[] };
  const v = words(be, x);
  if (!v || x.shape.length === 0 || x.shape.length > 8) return undefined;
  const outShape = perm.map((p) => x.shape[p]!);
  return be.makeTensorInfo(outShape, x.dtype, transposeValues(be, v, x.shape, perm));
}
