/** Broadcasting binary ops, unary math and AddN on float32 tensors (other dtypes fall back to cpu). */
import * as tf from "@tensorflow/tfjs-core";
import { broadcastPlan } from "../../kernel_shapes.js";
import { BINARY_OPS, UNARY_OPS } from "../../op_codes.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

/** A kernel for one binary op; undefined (fallback) for non-float32 inputs. */
export function binaryKernel(name: keyof typeof BINARY_OPS) {
  const op = BINARY_OPS[name];
  return ({ inputs }: KernelArgs, be: Backend): tf.TensorInfo | undefined => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const av = f32(be, a);
    const bv = f32(be, b);
    if (!av || !bv) return undefined;
    const plan = broadcastPlan(a.shape, b.shape);
    const out = output(be, plan.outShape);
    if (out.values.length > 0) be.addon.binary(op, plan.shape, plan.stA, plan.stB, av, bv, out.values);
    return out.info;
  };
}

/** A kernel for one unary op; undefined (fallback) for non-float32 input. */
export function unaryKernel(name: keyof typeof UNARY_OPS) {
  const op = UNARY_OPS[name];
  return ({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined => {
    const { x } = inputs as { x: tf.TensorInfo };
    const xv = f32(be, x);
    if (!xv) return undefined;
    const alpha = name === "Step" ? ((attrs as { alpha?: number } | undefined)?.alpha ?? 0) : 0;
    const out = output(be, x.shape.slice());
    be.addon.unary(op, alpha, xv, out.values, xv.length);
    return out.info;
  };
}

export function addN({ inputs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const ts = inputs as unknown as tf.TensorInfo[];
  const vs = ts.map((t) => f32(be, t));
  if (vs.some((v) => !v) || ts.some((t) => !tf.util.arraysEqual(t.shape, ts[0]!.shape))) return undefined;
  const out = output(be, ts[0]!.shape.slice());
  be.addon.addN(vs as Float32Array[], out.values, out.values.length);
  return out.info;
}
