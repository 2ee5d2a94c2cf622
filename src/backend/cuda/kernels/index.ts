/**
 * Registers every cuda device kernel under the backend name, over the cpu fallback shims that
 * `registerCudaBackend` registered first; a kernel returning undefined (a dtype or attribute it does not
 * cover) runs that shim instead, counted with its input dtypes.
 */
import { COMPARE_OPS } from "../addon.js";
import { cpuShim, cudaFallbacks } from "../fallback.js";
import { kernelTable, opKernels, registerBackendKernels } from "../../kernel_registry.js";
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

const KERNELS = kernelTable<CudaKernelFunc>(
  {
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
    ...opKernels(COMPARE_OPS, binaryKernel),
  },
  {
    softmax,
    fused: { LayerNorm: layerNorm, LayerNormGrad: layerNormGrad, Gelu: gelu, GeluGrad: geluGrad, AdamW: adamw, Attention: attention, AttentionGrad: attentionGrad },
    binary: binaryKernel,
    unary: unaryKernel,
    reduce: reduceKernel,
  },
);

/** Register the device kernels for `backendName`; returns their names. */
export function registerCudaKernels(backendName: string): string[] {
  return registerBackendKernels(backendName, KERNELS, cpuShim, cudaFallbacks);
}
