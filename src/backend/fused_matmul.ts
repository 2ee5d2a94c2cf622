/**
 * _FusedMatMul (product + bias + linear/relu) as the native and cuda backends run it: the same coverage
 * rule and checks, then their own GEMM, then the bias and activation in place with their addon's
 * elementwise ops (which have the same signature over typed arrays or device buffers).
 */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS, UNARY_OPS } from "./native/addon.js";

/** _FusedMatMul's inputs and attributes, when a backend's GEMM with this epilogue covers them. */
export interface FusedMatMulCall {
  a: tf.TensorInfo;
  b: tf.TensorInfo;
  /** float32 [N] or [1]. */
  bias?: tf.TensorInfo;
  transposeA: boolean;
  transposeB: boolean;
  relu: boolean;
  /** The product's last dimension. */
  n: number;
}

/**
 * The call, or undefined when not covered (prelu weights, an activation other than linear/relu, a bias that
 * is not float32 rank 1); throws when the bias does not broadcast to the product's last dimension, before
 * the product exists, so a bad bias leaves no orphaned output behind.
 */
export function fusedMatMulCall(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): FusedMatMulCall | undefined {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = attrs as unknown as { transposeA: boolean; transposeB: boolean; activation?: string };
  if (preluActivationWeights || !["linear", "relu"].includes(activation ?? "linear")) return undefined;
  if (bias && (bias.dtype !== "float32" || bias.shape.length !== 1)) return undefined;
  const n = transposeB ? b!.shape[b!.shape.length - 2]! : b!.shape[b!.shape.length - 1]!;
  if (bias && bias.shape[0] !== n && bias.shape[0] !== 1) throw new Error(`_FusedMatMul: bias of shape ${bias.shape} does not broadcast to the product's last dimension ${n}`);
  return { a: a!, b: b!, ...(bias ? { bias } : {}), transposeA, transposeB, relu: activation === "relu", n };
}

/** The two elementwise addon calls the epilogue needs, over the backend's storage type T. */
export interface EpilogueOps<T> {
  binary(op: number, shape: number[], stridesA: number[], stridesB: number[], a: T, b: T, out: T): void;
  unary(op: number, alpha: number, x: T, out: T, n: number): void;
}

/** c += bias (broadcast over the rows of the [len/n, n] product), then relu if asked; all in place on c. */
export function fusedMatMulEpilogue<T>(ops: EpilogueOps<T>, call: FusedMatMulCall, c: T, len: number, bias: T | undefined): void {
  if (len === 0) return;
  const { n } = call;
  if (call.bias) {
    if (bias === undefined) throw new Error("_FusedMatMul: the bias tensor has no float32 values on this backend");
    ops.binary(BINARY_OPS.Add, [len / n, n], [n, 1], [0, call.bias.shape[0] === 1 ? 0 : 1], c, bias, c); // in place
  }
  if (call.relu) ops.unary(UNARY_OPS.Relu, 0, c, c, len);
}
