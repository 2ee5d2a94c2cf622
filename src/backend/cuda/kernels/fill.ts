/** Fill, ZerosLike, OnesLike for float32 (device fill); other dtypes fall back to cpu. */
import * as tf from "@tensorflow/tfjs-core";
import { type Backend, type KernelArgs, size } from "./util.js";

function filled(be: Backend, shape: number[], value: number): tf.TensorInfo {
  const out = be.makeOutput(shape, "float32"); // `shape`
  if (size(shape) > 0) be.addon.fill(value, out.buf, size(shape));
  return out.info;
}

/** Fill (float32) → a new tensor (engine-owned). */
export function fill({ attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { shape, value, dtype } = attrs as unknown as { shape: number[]; value: number | string; dtype?: tf.DataType };
  const dt = dtype ?? tf.util.inferDtype(value);
  if (dt !== "float32" || typeof value !== "number") return undefined;
  return filled(be, shape.slice(), value);
}

/** ZerosLike (float32) → a new tensor (engine-owned). */
export function zerosLike({ inputs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  return x.dtype === "float32" ? filled(be, x.shape.slice(), 0) : undefined;
}

/** OnesLike (float32) → a new tensor (engine-owned). */
export function onesLike({ inputs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  return x.dtype === "float32" ? filled(be, x.shape.slice(), 1) : undefined;
}
