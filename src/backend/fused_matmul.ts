/**
 * _FusedMatMul (product + bias + linear/relu) as the native and cuda backends run it: the same attributes,
 * coverage rule and checks, then the backend's own GEMM, then the bias and activation in place with its
 * addon's elementwise ops (the same signature over typed arrays or device buffers).
 */
import * as tf from "@tensorflow/tfjs-core";
import { BINARY_OPS, UNARY_OPS } from "./op_codes.js";

/** _FusedMatMul's inputs and attributes, when a backend's GEMM with this epilogue covers them. */
interface FusedMatMulCall {
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
function fusedMatMulCall(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): FusedMatMulCall | undefined {
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

/** A backend's C = op(A)·op(B): a new engine-owned tensor, or undefined when its GEMM does not cover the inputs. */
export type MatMulFn = (a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean) => tf.TensorInfo | undefined;

/**
 * _FusedMatMul through `matmul`, then c += bias (broadcast over the rows of the product) and relu if asked,
 * in place on the product with the backend's `ops` over its storage (`storage(t)`: a typed array or a device
 * buffer). A new tensor (engine-owned), or undefined (the caller falls back).
 */
export function fusedMatMulWith<T>(inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined, matmul: MatMulFn, ops: EpilogueOps<T>, storage: (t: tf.TensorInfo) => T): tf.TensorInfo | undefined {
  const call = fusedMatMulCall(inputs, attrs);
  if (!call) return undefined;
  const c = matmul(call.a, call.b, call.transposeA, call.transposeB); // [...batch, M, N]
  if (!c) return undefined;
  const len = tf.util.sizeFromShape(c.shape);
  if (len === 0) return c;
  const cv = storage(c);
  const { n } = call;
  if (call.bias) ops.binary(BINARY_OPS.Add, [len / n, n], [n, 1], [0, call.bias.shape[0] === 1 ? 0 : 1], cv, storage(call.bias), cv); // in place
  if (call.relu) ops.unary(UNARY_OPS.Relu, 0, cv, cv, len);
  return c;
}
