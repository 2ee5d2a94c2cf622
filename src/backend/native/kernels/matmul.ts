/** BatchMatMul and _FusedMatMul (bias + linear/relu) through the addon's GEMM (own, or OpenBLAS where chosen). */
import * as tf from "@tensorflow/tfjs-core";
import { fusedMatMulWith } from "../../fused_matmul.js";
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

/** BatchMatMul → a new tensor (engine-owned). */
export function batchMatMul({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  return matmul(be, a, b, transposeA, transposeB);
}

/** _FusedMatMul with optional bias and linear/relu → a new tensor (engine-owned); bias and activation applied in place on it. */
export function fusedMatMul({ inputs, attrs }: KernelArgs, be: Backend): tf.TensorInfo | undefined {
  return fusedMatMulWith(inputs, attrs, (a, b, ta, tb) => matmul(be, a, b, ta, tb), be.addon, (t) => f32(be, t)!); // float32: fusedMatMulWith takes float32 bias only
}
