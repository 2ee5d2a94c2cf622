/** Shared helpers of the cuda device kernels: argument types, sizes, temporaries. */
import * as tf from "@tensorflow/tfjs-core";
import type { DeviceKernelFunc } from "../../kernel_registry.js";
import type { Buf } from "../addon.js";
import type { CudaBackend } from "../backend.js";

/** The backend as the device kernels see it. */
export type Backend = CudaBackend;
/** What tfjs passes to a kernelFunc. */
export type { KernelArgs } from "../../kernel_registry.js";
/** A device kernel; undefined = not covered (dtype, attributes): the registration falls back to cpu. */
export type CudaKernelFunc = DeviceKernelFunc<Backend>;

export const size = (shape: readonly number[]): number => tf.util.sizeFromShape(shape as number[]);

/** float32 or int32: the dtypes the 4-byte copy kernels (transpose, copyBlock, gatherRows) move. */
export const isWords = (t: tf.TensorInfo): boolean => t.dtype === "float32" || t.dtype === "int32";

/**
 * Run `f` with temporary float32 device buffers of the given element counts, freeing them afterwards
 * (also when `f` throws). The buffers never reach the engine.
 */
export function withTemps<T>(be: Backend, counts: readonly number[], f: (bufs: Buf[]) => T): T {
  const bufs: Buf[] = [];
  try {
    for (const n of counts) bufs.push(be.temp(n * 4));
    return f(bufs);
  } finally {
    for (const b of bufs) be.freeTemp(b);
  }
}

/** A metadata-only result sharing x's storage (one more reference): the engine owns it. */
export function sharedView(be: Backend, x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  be.incRef(x.dataId);
  return { dataId: x.dataId, shape, dtype: x.dtype };
}
