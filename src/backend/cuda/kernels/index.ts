/**
 * Registers every cuda device kernel under the backend name, over the cpu fallback shims that
 * `registerCudaBackend` registered first; a kernel returning undefined (a dtype or attribute it does not
 * cover) runs that shim instead, counted with its input dtypes.
 */
import { BINARY_OPS, COMPARE_OPS, REDUCE_OPS, UNARY_OPS } from "../addon.js";
import { FUSED } from "../../fused_ops.js";
import { cpuShim, cudaFallbacks } from "../fallback.js";
import { registerBackendKernels } from "../../kernel_registry.js";
import { attention, attentionGrad } from "./attention.js";
import { concat, pack, padV2, slice, splitV } from "./copy.js";
import { addN, binaryKernel, unaryKernel } from "./elementwise.js";
import { fill, onesLike, zerosLike } from "./fill.js";
import { adamw, gelu, geluGrad, layerNorm, layerNormGrad, softmax } from "./fused.js";
import { gatherV2 } from "./gather.js";
import { batchMatMul, fusedMatMul } from "./matmul.js";
import { reduceKernel } from "./reduce.js";
import { cast, identity, reshape } from "./shape.js";
import { tile } from "./tile.js";
import { transpose } from "./transpose.js";
import type { CudaKernelFunc } from "./util.js";

const KERNELS: Record<string, CudaKernelFunc> = {
  Reshape: reshape,
  Identity: identity,
  Cast: cast,
  Fill: fill,
  ZerosLike: zerosLike,
  OnesLike: onesLike,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Transpose: transpose,
  Slice: slice,
  SplitV: splitV,
  Concat: concat,
  Pack: pack,
  PadV2: padV2,
  Tile: tile,
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
for (const k of [...Object.keys(BINARY_OPS), ...Object.keys(COMPARE_OPS)] as (keyof typeof BINARY_OPS | keyof typeof COMPARE_OPS)[]) KERNELS[k] = binaryKernel(k);
for (const k of Object.keys(UNARY_OPS) as (keyof typeof UNARY_OPS)[]) KERNELS[k] = unaryKernel(k);
for (const k of Object.keys(REDUCE_OPS) as (keyof typeof REDUCE_OPS)[]) KERNELS[k] = reduceKernel(k);

/** Register the device kernels for `backendName`; returns their names. */
export function registerCudaKernels(backendName: string): string[] {
  return registerBackendKernels(backendName, KERNELS, cpuShim, cudaFallbacks);
}
