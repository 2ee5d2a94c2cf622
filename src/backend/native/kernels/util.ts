/** Shared helpers of the native kernels: typed views of tensor data, outputs, and the cpu fallback. */
import * as tf from "@tensorflow/tfjs-core";
import type { DeviceKernelFunc } from "../../kernel_registry.js";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { NativeAddon } from "../addon.js";
import type { BufferPool } from "../pool.js";

/** The backend as the native kernels see it (tfjs-backend-cpu storage + the addon). */
export type Backend = MathBackendCPU & { addon: NativeAddon; pool: BufferPool };

export type { KernelArgs } from "../../kernel_registry.js";
export type NativeKernelFunc = DeviceKernelFunc<Backend>;

/**
 * Float32 values of a tensor, or undefined when it is another dtype (the caller falls back). The cpu
 * backend's Cast int32/bool→float32 keeps the Int32Array/Uint8Array; such values are converted (a copy).
 */
export function f32(be: Backend, t: tf.TensorInfo): Float32Array | undefined {
  if (t.dtype !== "float32") return undefined;
  const v = be.data.get(t.dataId).values;
  if (v instanceof Float32Array) return v;
  return v instanceof Int32Array || v instanceof Uint8Array ? Float32Array.from(v) : undefined;
}

/** Values of a float32 or int32 tensor with 4-byte elements, else undefined. */
export function words(be: Backend, t: tf.TensorInfo): Float32Array | Int32Array | undefined {
  const v = be.data.get(t.dataId).values;
  return v instanceof Float32Array || v instanceof Int32Array ? v : undefined;
}

/**
 * A new float32 output owned by the engine (tfjs disposes it with its tensor). Its contents are arbitrary
 * (a recycled buffer): the kernel must write every element.
 */
export function output(be: Backend, shape: number[]): { info: tf.TensorInfo; values: Float32Array } {
  const values = be.pool.take(tf.util.sizeFromShape(shape));
  return { info: be.makeTensorInfo(shape, "float32", values), values };
}

export const size = (shape: readonly number[]): number => tf.util.sizeFromShape(shape as number[]);
