/** BatchMatMul and _FusedMatMul (bias + linear/relu) through the device GEMM (cuBLAS on a GPU). */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS, UNARY_OPS } from "../addon.js";
import { matmulPlan } from "../../kernel_shapes.js";
import { type Backend, type KernelArgs, size } from "./util.js";

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
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation: string };
  if (preluActivationWeights || !["linear", "relu"].includes(activation ?? "linear")) return undefined;
  if (bias && (bias.dtype !== "float32" || bias.shape.length !== 1)) return undefined;
  const n = transposeB ? b!.shape[b!.shape.length - 2]! : b!.shape[b!.shape.length - 1]!;
  // checked before the product exists, so a bad bias leaves no orphaned output behind
  if (bias && bias.shape[0] !== n && bias.shape[0] !== 1) throw new Error(`_FusedMatMul: bias of shape ${bias.shape} does not broadcast to the product's last dimension ${n}`);
  const c = matmul(be, a!, b!, transposeA, transposeB); // [...batch, M, N]
  if (!c) return undefined;
  const len = size(c.shape);
  if (len === 0) return c;
  const cb = be.buf(c);
  if (bias) be.addon.binary(BINARY_OPS.Add, [len / n, n], [n, 1], [0, bias.shape[0] === 1 ? 0 : 1], cb, be.buf(bias), cb); // in place
  if (activation === "relu") be.addon.unary(UNARY_OPS.Relu, 0, cb, cb, len);
  return c;
}
