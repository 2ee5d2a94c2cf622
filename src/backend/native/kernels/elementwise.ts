/** Broadcasting binary ops, unary math and AddN on float32 tensors (other dtypes fall back to cpu). */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS, UNARY_OPS } from "../addon.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

/**
 * Output shape and per-input element strides (0 where broadcast) after merging dims that are contiguous
 * in both inputs, so `[N,D] + [D]` becomes one 2-D loop and same-shape ops one flat loop.
 */
export function broadcastPlan(sa: readonly number[], sb: readonly number[]): { outShape: number[]; shape: number[]; stA: number[]; stB: number[] } {
  const outShape = tf.backend_util.assertAndGetBroadcastShape(sa as number[], sb as number[]);
  const r = outShape.length;
  const strides = (s: readonly number[]) => {
    const st = new Array<number>(r).fill(0);
    let acc = 1;
    for (let d = r - 1; d >= 0; d--) {
      const dim = s[d - (r - s.length)] ?? 1;
      st[d] = dim === 1 ? 0 : acc;
      acc *= dim;
    }
    return st;
  };
  const fa = strides(sa);
  const fb = strides(sb);
  const shape: number[] = [];
  const stA: number[] = [];
  const stB: number[] = [];
  for (let d = 0; d < r; d++) {
    if (outShape[d] === 1) continue;
    const last = shape.length - 1;
    if (last >= 0 && stA[last] === fa[d]! * outShape[d]! && stB[last] === fb[d]! * outShape[d]!) {
      shape[last]! *= outShape[d]!;
      stA[last] = fa[d]!;
      stB[last] = fb[d]!;
    } else {
      shape.push(outShape[d]!);
      stA.push(fa[d]!);
      stB.push(fb[d]!);
    }
  }
  return { outShape, shape, stA, stB };
}

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
