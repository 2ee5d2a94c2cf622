/** Transpose of 4-byte device tensors (float32, int32) of rank ≤ 8. */
import * as tf from "@tensorflow/tfjs-core";
import type { Buf } from "../addon.js";
import { type Backend, isWords, type KernelArgs, size } from "./util.js";

/** Write x [shape] transposed by `perm` into `out` (a buffer of the same element count the caller owns). */
export function transposeInto(be: Backend, shape: readonly number[], perm: readonly number[], x: Buf, out: Buf): void {
  if (size(shape) > 0) be.addon.transpose(shape as number[], perm as number[], x, out);
}

/** Transpose of a 4-byte tensor → a new tensor (engine-owned). */
export function transpose({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const { perm } = attrs as unknown as { perm: number[] };
  if (!isWords(x) || x.shape.length === 0 || x.shape.length > 8) return undefined;
  const out = be.makeOutput(perm.map((p) => x.shape[p]!), x.dtype); // x's dims permuted
  transposeInto(be, x.shape, perm, be.buf(x), out.buf);
  return out.info;
}
