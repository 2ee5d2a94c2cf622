/**
 * Tile of float32 device tensors as one strided copy: output dim d viewed as [reps_d, x_d] reads x with
 * stride 0 along reps_d (max(v, v) = v exactly, NaN and −0 included). Other dtypes, or more than 8 non-unit
 * dims in that view, fall back to cpu.
 */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS } from "../../op_codes.js";
import { type Backend, type KernelArgs, size } from "./util.js";

/** Tile (float32) → a new tensor (engine-owned). */
export function tile({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { x } = inputs as { x: tf.TensorInfo };
  const { reps } = attrs as unknown as { reps: number[] };
  if (x.dtype !== "float32" || reps.length !== x.shape.length) return undefined;
  const shape: number[] = [];
  const strides: number[] = [];
  let acc = size(x.shape);
  x.shape.forEach((d, i) => {
    acc /= d || 1;
    if (reps[i]! !== 1) shape.push(reps[i]!), strides.push(0);
    if (d !== 1) shape.push(d), strides.push(acc);
  });
  if (shape.length > 8) return undefined;
  const outShape = x.shape.map((d, i) => d * reps[i]!);
  const out = be.makeOutput(outShape, "float32"); // x's dims times reps
  if (size(outShape) > 0) be.addon.binary(BINARY_OPS.Maximum, shape, strides, strides, be.buf(x), be.buf(x), out.buf);
  return out.info;
}
