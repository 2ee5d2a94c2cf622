/** Metadata-only kernels (Reshape, Identity share the input's buffer) and Cast between float32, int32 and bool. */
import * as tf from "@tensorflow/tfjs-core";
import { CAST_TYPES } from "../addon.js";
import { type Backend, type KernelArgs, sharedView, size } from "./util.js";

/** Reshape: the input's storage with one more reference (engine-owned view, no copy). */
export function reshape({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  const n = size(x.shape);
  const shape = tf.util.inferFromImplicitShape((attrs as unknown as { shape: number[] }).shape, n);
  tf.util.assert(n === size(shape), () => `The new shape (${shape}) has ${size(shape)} elements and the old shape (${x.shape}) has ${n} elements. The new shape and old shape must have the same number of elements.`);
  return sharedView(be, x, shape);
}

/** Identity: the input's storage with one more reference (engine-owned, no copy). */
export function identity({ inputs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  return sharedView(be, x, x.shape.slice());
}

/** Cast among float32/int32/bool (bool = x ≠ 0; float → int truncates); same dtype shares the buffer. */
export function cast({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const { dtype } = attrs as unknown as { dtype: tf.DataType };
  if (!(x.dtype in CAST_TYPES) || !(dtype in CAST_TYPES)) return undefined;
  if (dtype === x.dtype) return sharedView(be, x, x.shape.slice());
  const out = be.makeOutput(x.shape.slice(), dtype); // x's shape
  const n = size(x.shape);
  if (n > 0) be.addon.cast(CAST_TYPES[x.dtype as keyof typeof CAST_TYPES], CAST_TYPES[dtype as keyof typeof CAST_TYPES], be.buf(x), out.buf, n);
  return out.info;
}
