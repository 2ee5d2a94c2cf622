/**
 * Input checks of the fused kernels (shared with the native backend: src/backend/kernel_shapes.ts). These
 * kernels have no cpu fallback, so a bad input is a clear error, never an out-of-bounds device read; every
 * check runs before any output is allocated.
 */
import type * as tf from "@tensorflow/tfjs-core";
import { checkFusedInput } from "../../kernel_shapes.js";
import type { Buf } from "../addon.js";
import type { Backend } from "./util.js";

export { rows2d } from "../../kernel_shapes.js";

/** Device buffer of a float32 input of exactly `shape`, else a clear error. */
export function input(be: Backend, kernel: string, name: string, t: tf.TensorInfo | undefined, shape: readonly number[]): Buf {
  return be.buf(checkFusedInput(kernel, name, t, shape));
}
