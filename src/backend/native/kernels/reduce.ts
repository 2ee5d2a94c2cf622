/** Sum, Mean, Max, Min, Prod over any axes of float32 tensors (non-contiguous axes go through a transpose). */
import * as tf from "@tensorflow/tfjs-core";
import { REDUCE_OPS } from "../../op_codes.js";
import { transposeValues } from "./transpose.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

export function reduceKernel(name: keyof typeof REDUCE_OPS) {
  const op = REDUCE_OPS[name];
  return ({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined => {
    const { x } = inputs as { x: tf.TensorInfo };
    let xv = f32(be, x);
    if (!xv) return undefined;
    const a = attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
    const shape = x.shape;
    // null/undefined axis = all axes (parseAxisParam's rule)
    const axes = tf.util.parseAxisParam((name === "Max" ? a.reductionIndices : a.axis) as number[], shape).sort((p, q) => p - q);
    const outShape = a.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    const out = output(be, outShape);
    const r = axes.reduce((p, ax) => p * shape[ax]!, 1);
    if (out.values.length === 0) return out.info;
    if (r === 0) {
      out.values.fill(name === "Sum" || name === "Mean" ? (name === "Mean" ? NaN : 0) : name === "Prod" ? 1 : name === "Max" ? -Infinity : Infinity);
      return out.info;
    }
    const contiguous = axes.every((ax, i) => i === 0 || ax === axes[i - 1]! + 1);
    let outer: number;
    let inner: number;
    let transposed = false;
    if (axes.length === 0) {
      outer = xv.length;
      inner = 1;
    } else if (contiguous) {
      outer = shape.slice(0, axes[0]).reduce((p, d) => p * d, 1);
      inner = shape.slice(axes[axes.length - 1]! + 1).reduce((p, d) => p * d, 1);
    } else {
      // Move the reduced axes last, then reduce contiguous rows.
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      xv = transposeValues(be, xv, shape, [...kept, ...axes]) as Float32Array;
      transposed = true;
      outer = xv.length / r;
      inner = 1;
    }
    be.addon.reduce(op, outer, r, inner, xv, out.values);
    if (transposed && be.pool.owns(xv)) be.pool.give(xv); // the transposed temporary
    return out.info;
  };
}
