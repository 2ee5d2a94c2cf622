/** Broadcasting binary ops, unary math and AddN on float32 device tensors (other dtypes fall back to cpu). */
import * as tf from "@tensorflow/tfjs-core";
import { broadcastPlan } from "../../kernel_shapes.js";
import { BINARY_OPS, UNARY_OPS } from "../../op_codes.js";
import { COMPARE_OPS } from "../addon.js";
import { type Backend, type KernelArgs, sharedView, size } from "./util.js";

/**
 * A kernel for one binary op (float32 output) or comparison (bool output); undefined (fallback) for
 * non-float32 inputs or a plan of rank > 8.
 */
export function binaryKernel(name: keyof typeof BINARY_OPS | keyof typeof COMPARE_OPS) {
  const compare = name in COMPARE_OPS;
  const op = compare ? COMPARE_OPS[name as keyof typeof COMPARE_OPS] : BINARY_OPS[name as keyof typeof BINARY_OPS];
  return ({ inputs }: KernelArgs, be: Backend): tf.TensorInfo | undefined => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
    const plan = broadcastPlan(a.shape, b.shape);
    if (plan.shape.length > 8) return undefined;
    const out = be.makeOutput(plan.outShape, compare ? "bool" : "float32"); // broadcast shape
    if (size(plan.outShape) > 0) be.addon.binary(op, plan.shape, plan.stA, plan.stB, be.buf(a), be.buf(b), out.buf);
    return out.info;
  };
}

/** A kernel for one unary op (Step with its alpha attribute); undefined (fallback) for non-float32 input. */
export function unaryKernel(name: keyof typeof UNARY_OPS) {
  const op = UNARY_OPS[name];
  return ({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined => {
    const { x } = inputs as { x: tf.TensorInfo };
    if (x.dtype !== "float32") return undefined;
    const alpha = name === "Step" ? ((attrs as { alpha?: number } | undefined)?.alpha ?? 0) : 0;
    const out = be.makeOutput(x.shape.slice(), "float32"); // x's shape
    const n = size(x.shape);
    if (n > 0) be.addon.unary(op, alpha, be.buf(x), out.buf, n);
    return out.info;
  };
}

/** Sum of same-shape float32 tensors as repeated device Adds into the output. */
export function addN({ inputs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const ts = inputs as unknown as tf.TensorInfo[];
  const first = ts[0];
  if (!first || ts.some((t) => t.dtype !== "float32" || !tf.util.arraysEqual(t.shape, first.shape))) return undefined;
  if (ts.length === 1) return sharedView(be, first, first.shape.slice());
  const n = size(first.shape);
  const out = be.makeOutput(first.shape.slice(), "float32"); // the inputs' shape
  if (n > 0) {
    be.addon.binary(BINARY_OPS.Add, [n], [1], [1], be.buf(first), be.buf(ts[1]!), out.buf);
    for (const t of ts.slice(2)) be.addon.binary(BINARY_OPS.Add, [n], [1], [1], out.buf, be.buf(t), out.buf); // in place
  }
  return out.info;
}
