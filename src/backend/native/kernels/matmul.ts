/** BatchMatMul and _FusedMatMul (bias + linear/relu) through the addon's OpenBLAS GEMM. */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS, UNARY_OPS } from "../addon.js";
import { matmulPlan } from "../../kernel_shapes.js";
import { type Backend, f32, type KernelArgs, output } from "./util.js";

/** C = op(A)·op(B) with batch broadcasting when one side has batch 1. Undefined = not covered. */
export function matmul(be: Backend, a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): tf.TensorInfo | undefined {
  const av = f32(be, a);
  const bv = f32(be, b);
  if (!av || !bv) return undefined;
  const plan = matmulPlan(a, b, ta, tb);
  if (!plan) return undefined;
  const { m, n, k, batch } = plan;
  const out = output(be, plan.outShape); // [...batch, M, N]
  if (m * n * batch > 0) be.addon.batchMatmul(ta, tb, m, n, k, batch, plan.strideA, plan.strideB, av, bv, out.values);
  return out.info;
}

export function batchMatMul({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  return matmul(be, a, b, transposeA, transposeB);
}

export function fusedMatMul({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation: string };
  if (preluActivationWeights || !["linear", "relu"].includes(activation ?? "linear")) return undefined;
  if (bias && (!f32(be, bias) || bias.shape.length !== 1)) return undefined;
  const n = transposeB ? b!.shape[b!.shape.length - 2]! : b!.shape[b!.shape.length - 1]!;
  // checked before the product exists, so a bad bias leaves no orphaned output behind
  if (bias && bias.shape[0] !== n && bias.shape[0] !== 1) throw new Error(`_FusedMatMul: bias of shape ${bias.shape} does not broadcast to the product's last dimension ${n}`);
  const c = matmul(be, a!, b!, transposeA, transposeB);
  if (!c) return undefined;
  const cv = f32(be, c)!;
  if (bias) {
    be.addon.binary(BINARY_OPS.Add, [cv.length / n, n], [n, 1], [0, bias.shape[0] === 1 ? 0 : 1], cv, f32(be, bias)!, cv);
  }
  if (activation === "relu") be.addon.unary(UNARY_OPS.Relu, 0, cv, cv, cv.length);
  return c;
}
