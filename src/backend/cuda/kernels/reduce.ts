/** Sum, Mean, Max, Min, Prod over any axes of float32 device tensors (non-contiguous axes via a transposed temporary). */
import * as tf from "@tensorflow/tfjs-core";
import { REDUCE_OPS } from "../../op_codes.js";
import { transposeInto } from "./transpose.js";
import { type Backend, type KernelArgs, size, withTemps } from "./util.js";

/** The value of an empty reduction (no element reduced), as the cpu backend gives it. */
function emptyValue(name: keyof typeof REDUCE_OPS): number {
  return name === "Sum" ? 0 : name === "Mean" ? NaN : name === "Prod" ? 1 : name === "Max" ? -Infinity : Infinity;
}

/** A kernel for one reduction; its result is a new tensor (engine-owned); undefined (fallback) for non-float32. */
export function reduceKernel(name: keyof typeof REDUCE_OPS) {
  const op = REDUCE_OPS[name];
  return ({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== "float32" || x.shape.length > 8) return undefined;
    const a = attrs as { axis?: number | number[]; reductionIndices?: number | number[]; keepDims: boolean };
    const shape = x.shape;
    // null/undefined axis = all axes (parseAxisParam's rule)
    const axes = tf.util.parseAxisParam((name === "Max" ? a.reductionIndices : a.axis) as number[], shape).sort((p, q) => p - q);
    const outShape = a.keepDims ? shape.map((d, i) => (axes.includes(i) ? 1 : d)) : shape.filter((_, i) => !axes.includes(i));
    const out = be.makeOutput(outShape, "float32"); // x's shape without (or with 1 for) the reduced axes
    const n = size(outShape);
    const r = axes.reduce((p, ax) => p * shape[ax]!, 1);
    if (n === 0) return out.info;
    if (r === 0) {
      be.addon.fill(emptyValue(name), out.buf, n);
      return out.info;
    }
    const contiguous = axes.every((ax, i) => i === 0 || ax === axes[i - 1]! + 1);
    if (axes.length === 0) be.addon.reduce(op, n, 1, 1, be.buf(x), out.buf);
    else if (contiguous) {
      const outer = size(shape.slice(0, axes[0]));
      const inner = size(shape.slice(axes[axes.length - 1]! + 1));
      be.addon.reduce(op, outer, r, inner, be.buf(x), out.buf);
    } else {
      // Move the reduced axes last into a temporary, then reduce contiguous rows.
      const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
      withTemps(be, [size(shape)], ([tmp]) => {
        transposeInto(be, shape, [...kept, ...axes], be.buf(x), tmp!); // [...kept dims, ...reduced dims]
        be.addon.reduce(op, n, r, 1, tmp!, out.buf);
      });
    }
    return out.info;
  };
}
