/** Registers every native kernel under the backend name; a kernel returning undefined falls back to cpu. */
import * as tf from "@tensorflow/tfjs-core";
import { nativeFallbacks } from "../fallback.js";
import { kernelTable, registerBackendKernels } from "../../kernel_registry.js";
import { concat, padV2, slice, splitV } from "./copy.js";
import { addN, binaryKernel, unaryKernel } from "./elementwise.js";
import { adamw, attention, attentionGrad, gelu, geluGrad, layerNorm, layerNormGrad, softmax } from "./fused.js";
import { gatherV2 } from "./gather.js";
import { adamwMulti, emaMulti, sumSquaresMulti } from "./multi.js";
import { MULTI } from "../../multi_ops.js";
import { batchMatMul, fusedMatMul } from "./matmul.js";
import { reduceKernel } from "./reduce.js";
import { transpose } from "./transpose.js";
import type { NativeKernelFunc } from "./util.js";
import { ThreadPolicy } from "../threads.js";

const KERNELS = kernelTable<NativeKernelFunc>(
  { BatchMatMul: batchMatMul, _FusedMatMul: fusedMatMul, Transpose: transpose, Slice: slice, SplitV: splitV, Concat: concat, PadV2: padV2, GatherV2: gatherV2, AddN: addN,
    [MULTI.Ema]: emaMulti, [MULTI.SumSquares]: sumSquaresMulti, [MULTI.AdamW]: adamwMulti },
  {
    softmax,
    fused: { LayerNorm: layerNorm, LayerNormGrad: layerNormGrad, Gelu: gelu, GeluGrad: geluGrad, AdamW: adamw, Attention: attention, AttentionGrad: attentionGrad },
    binary: binaryKernel,
    unary: unaryKernel,
    reduce: reduceKernel,
  },
);

/** Register the native kernels for `backendName` over the cpu fallbacks; returns their names. */
export function registerNativeKernels(backendName: string): string[] {
  let policy: ThreadPolicy | undefined;
  // every native kernel first sets the OpenMP thread count its work deserves (../threads.ts)
  const withThreads = Object.fromEntries(
    Object.entries(KERNELS).map(([name, fn]): [string, NativeKernelFunc] => [
      name,
      (args, be) => {
        (policy ??= new ThreadPolicy(be.addon)).before(name, args.inputs, args.attrs);
        return fn(args, be);
      },
    ]),
  );
  return registerBackendKernels(backendName, withThreads, (name) => tf.getKernel(name, "cpu")?.kernelFunc, nativeFallbacks);
}
