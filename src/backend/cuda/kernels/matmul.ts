/** BatchMatMul and _FusedMatMul (bias + linear/relu) through the device GEMM (cuBLAS on a GPU). */
import * as tf from "@tensorflow/tfjs-core";
import { fusedMatMulWith } from "../../fused_matmul.js";
import { matmulPlan } from "../../kernel_shapes.js";
import { type Backend, type KernelArgs } from "./util.js";

/**
 * C = op(A)·op(B) with batch broadcasting when one side has batch 1; a new output the engine owns.
 * Undefined = not covered (non-float32, or batches that broadcast otherwise).
 */
export function matmul(be: Backend, a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): tf.TensorInfo | undefined {
  if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const plan = matmulPlan(a, b, ta, tb);
  if (!plan) return undefined;
  const { m, n, k, batch } = plan;
  const out = be.makeOutput(plan.outShape, "float32"); // [...batch, M, N]
  if (m * n * batch === 0) return out.info;
  if (k === 0) be.addon.fill(0, out.buf, m * n * batch);
  else be.addon.batchMatmul(ta, tb, m, n, k, batch, plan.strideA, plan.strideB, 1, be.buf(a), be.buf(b), out.buf);
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
  return fusedMatMulWith(inputs, attrs, (a, b, ta, tb) => matmul(be, a, b, ta, tb), be.addon, (t) => be.buf(t));
}
