/**
 * The multi-parameter kernels of ../../multi_ops.ts: one tfjs dispatch for the EMA update, Σ‖g‖² and the
 * AdamW update of a whole parameter list, each running, per parameter, the same addon calls as the
 * per-parameter kernels (Multiply/Add with a broadcast scalar, Square + Sum + AddN, AdamW), so the results
 * are bitwise the same; temporaries go back to the pool at once.
 */
import * as tf from "@tensorflow/tfjs-core";
import { broadcastPlan } from "../../kernel_shapes.js";
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from "../../op_codes.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

/** The float32 inputs `${prefix}0 … ${prefix}{count-1}`; throws naming the kernel when one is missing or not float32. */
function list(kernel: string, inputs: tf.NamedTensorInfoMap, prefix: string, count: number, be: Backend): { t: tf.TensorInfo; v: Float32Array }[] {
  const out: { t: tf.TensorInfo; v: Float32Array }[] = [];
  for (let i = 0; i < count; i++) {
    const t = inputs[`${prefix}${i}`];
    const v = t && f32(be, t);
    if (!t || !v) throw new Error(`${kernel}: input ${prefix}${i} is missing or not float32`);
    out.push({ t, v });
  }
  return out;
}

function sameShape(kernel: string, a: tf.TensorInfo, b: tf.TensorInfo): void {
  if (!tf.util.arraysEqual(a.shape, b.shape)) throw new Error(`${kernel}: shapes [${a.shape}] and [${b.shape}] differ`);
}

/** A scratch buffer of n floats (pooled when large); `release` returns it. */
const scratch = (be: Backend, n: number): Float32Array => be.pool.take(n);
const release = (be: Backend, v: Float32Array): void => {
  if (be.pool.owns(v)) be.pool.give(v);
};

/** inputs t0…, o0… (pairs of equal shape); attrs momentum, count → count tensors t·m + o·(1 − m). */
export function emaMulti({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const { momentum, count } = attrs as unknown as { momentum: number; count: number };
  const ts = list("MmsnEmaMulti", inputs, "t", count, be);
  const os = list("MmsnEmaMulti", inputs, "o", count, be);
  const m = Float32Array.of(momentum);
  const m1 = Float32Array.of(1 - momentum);
  return ts.map(({ t, v: tv }, i) => {
    const { t: o, v: ov } = os[i]!;
    sameShape("MmsnEmaMulti", t, o);
    const out = output(be, t.shape.slice());
    const n = out.values.length;
    if (n === 0) return out.info;
    // the same broadcast plans as tf.mul(t, m), tf.mul(o, 1 − m) and their tf.add
    const ps = broadcastPlan(t.shape, []);
    const pa = broadcastPlan(t.shape, t.shape);
    const a = scratch(be, n);
    const b = scratch(be, n);
    be.addon.binary(BINARY_OPS.Multiply, ps.shape, ps.stA, ps.stB, tv, m, a);
    be.addon.binary(BINARY_OPS.Multiply, ps.shape, ps.stA, ps.stB, ov, m1, b);
    be.addon.binary(BINARY_OPS.Add, pa.shape, pa.stA, pa.stB, a, b, out.values);
    release(be, a);
    release(be, b);
    return out.info;
  });
}

/** inputs g0…; attr count → the scalar Σᵢ sum(gᵢ²) (per-tensor sums added by AddN, as tf.addN of tf.sum(tf.square(g))). */
export function sumSquaresMulti({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo {
  const { count } = attrs as unknown as { count: number };
  const gs = list("MmsnSumSquaresMulti", inputs, "g", count, be);
  const sums = gs.map(({ v }) => {
    const s = new Float32Array(1);
    if (v.length === 0) return s; // Sum over nothing: 0
    const sq = scratch(be, v.length);
    be.addon.unary(UNARY_OPS.Square, 0, v, sq, v.length);
    be.addon.reduce(REDUCE_OPS.Sum, 1, v.length, 1, sq, s);
    release(be, sq);
    return s;
  });
  const out = output(be, []);
  be.addon.addN(sums, out.values, 1);
  return out.info;
}

/** inputs p0…, m0…, v0…, g0…; attrs decays[], b1, b2, gscale, invBc2Sqrt, eps, lrBc1, count → [p'₀, m'₀, v'₀, p'₁, …]. */
export function adamwMulti({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo[] {
  const a = attrs as unknown as { decays: number[]; b1: number; b2: number; gscale: number; invBc2Sqrt: number; eps: number; lrBc1: number; count: number };
  const k = "MmsnAdamWMulti";
  const [ps, ms, vs, gs] = ["p", "m", "v", "g"].map((p) => list(k, inputs, p, a.count, be)) as [ReturnType<typeof list>, ReturnType<typeof list>, ReturnType<typeof list>, ReturnType<typeof list>];
  const outs: tf.TensorInfo[] = [];
  for (let i = 0; i < a.count; i++) {
    const p = ps[i]!;
    for (const x of [ms[i]!, vs[i]!, gs[i]!]) sameShape(k, p.t, x.t);
    const [po, mo, vo] = [0, 1, 2].map(() => output(be, p.t.shape.slice())) as [ReturnType<typeof output>, ReturnType<typeof output>, ReturnType<typeof output>];
    be.addon.adamw(po.values.length, a.decays[i]!, a.b1, a.b2, a.gscale, a.invBc2Sqrt, a.eps, a.lrBc1, p.v, ms[i]!.v, vs[i]!.v, gs[i]!.v, po.values, mo.values, vo.values);
    outs.push(po.info, mo.info, vo.info);
  }
  return outs;
}
