/** Registers every native kernel under the backend name; a kernel returning undefined falls back to cpu. */
import * as tf from "@tensorflow/tfjs-core";
import { countFallback } from "../fallback.js";
import { BINARY_OPS, UNARY_OPS, REDUCE_OPS } from "../addon.js";
import { FUSED } from "../fused_ops.js";
import { concat, padV2, slice, splitV } from "./copy.js";
import { addN, binaryKernel, unaryKernel } from "./elementwise.js";
import { adamw, attention, attentionGrad, gelu, geluGrad, layerNorm, layerNormGrad, softmax } from "./fused.js";
import { gatherV2 } from "./gather.js";
import { batchMatMul, fusedMatMul } from "./matmul.js";
import { reduceKernel } from "./reduce.js";
import { transpose } from "./transpose.js";
import type { Backend, KernelArgs, NativeKernelFunc } from "./util.js";

const KERNELS: Record<string, NativeKernelFunc> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Transpose: transpose,
  Slice: slice,
  SplitV: splitV,
  Concat: concat,
  PadV2: padV2,
  GatherV2: gatherV2,
  AddN: addN,
  Softmax: softmax,
  [FUSED.LayerNorm]: layerNorm,
  [FUSED.LayerNormGrad]: layerNormGrad,
  [FUSED.Gelu]: gelu,
  [FUSED.GeluGrad]: geluGrad,
  [FUSED.AdamW]: adamw,
  [FUSED.Attention]: attention,
  [FUSED.AttentionGrad]: attentionGrad,
};
for (const k of Object.keys(BINARY_OPS) as (keyof typeof BINARY_OPS)[]) KERNELS[k] = binaryKernel(k);
for (const k of Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]) KERNELS[k] = unaryKernel(k);
for (const k of Object.keys(REDUCE_OPS) as (keyof typeof REDUCE_OPS)[]) KERNELS[k] = reduceKernel(k);

/** Register the native kernels for `backendName` over the cpu fallbacks; returns their names. */
export function registerNativeKernels(backendName: string): string[] {
  for (const [name, fn] of Object.entries(KERNELS)) {
    const cpu = tf.getKernel(name, "cpu");
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: (args) => {
        const r = fn(args as KernelArgs, args.backend as Backend);
        if (r !== undefined) return r;
        if (!cpu) throw new Error(`native kernel ${name}: unsupported inputs and no cpu kernel to fall back to`);
        countFallback(`${name} (${Object.values(args.inputs).map((t) => t?.dtype).join(",")})`);
        return cpu.kernelFunc(args);
      },
    });
  }
  return Object.keys(KERNELS);
}
