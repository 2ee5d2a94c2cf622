/** BatchMatMul and _FusedMatMul (bias + linear/relu) through the device GEMM (cuBLAS on a GPU). */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS, UNARY_OPS } from "../addon.js";
import { type Backend, type KernelArgs, size } from "./util.js";

/**
 * C = op(A)·op(B) with batch broadcasting when one side has batch 1; a new output the engine owns.
 * Undefined = not covered (non-float32, or batches that broadcast otherwise).
 */
export function matmul(be: Backend, a: tf.TensorInfo, b: tf.TensorInfo, ta: boolean, tb: boolean): tf.TensorInfo | undefined {
  if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const batchA = size(a.shape.slice(0, -2));
  const batchB = size(b.shape.slice(0, -2));
  const sameBatch = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  if (!(sameBatch || batchA === 1 || batchB === 1)) return undefined;
  const m = ta ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = ta ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = tb ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = tb ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) throw new Error(`Error in matMul: inner shapes (${k}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${ta} and transposeB=${tb} must match.`);
  const batch = Math.max(batchA, batchB);
  // tfjs pads the shorter batch shape with leading 1s: [3,4]·[1,4,5] → [1,3,5], as the cpu kernel does.
  const outShape = [...tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2)), m, n];
  const out = be.makeOutput(outShape, "float32"); // [...batch, M, N]
  if (m * n * batch === 0) return out.info;
  if (k === 0) be.addon.fill(0, out.buf, m * n * batch);
  else be.addon.batchMatmul(ta, tb, m, n, k, batch, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, 1, be.buf(a), be.buf(b), out.buf);
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
