/**
 * Optional accelerator for the wasm backend: tfjs-wasm runs only untransposed, unbatched 2-D matMuls on
 * XNNPACK and everything else (every backward matMul, batched attention) in a scalar loop. This registers
 * a `BatchMatMul` kernel that hands every float32 matMul to OpenBLAS through a small N-API addon
 * (native/sgemm.cc, built by `npm install` when libopenblas-dev is present), reading and writing the wasm
 * heap without copies. Shapes it does not cover (non-float32, general batch broadcasting) go to the
 * original kernel. `MMSN_BLAS=0` disables it.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import { findAddon } from "../utils/find_addon.js";
import { fixOpenBlasCoreType } from "./openblas_env.js";

interface BlasAddon {
  batchSgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, batch: number, sa: number, sb: number, a: Float32Array, b: Float32Array, c: Float32Array): void;
  coreName(): string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the wasm backend's internals are untyped */
type WasmBackend = { wasm: { HEAPU8: Uint8Array }; dataIdMap: { get(id: object): { memoryOffset: number } }; makeOutput(shape: number[], dtype: string): tf.TensorInfo };

/**
 * Route wasm matMuls to OpenBLAS. Call after the wasm backend is active.
 * @returns a description of what was installed, or throws with the reason it could not be.
 */
export function installBlasMatMul(): string {
  const path = findAddon("native/build/Release/mmsn_blas.node", import.meta.url);
  if (!path) throw new Error("the OpenBLAS addon is not built (apt-get install libopenblas-dev, then node native/build.mjs)");
  fixOpenBlasCoreType();
  const blas = createRequire(import.meta.url)(path) as BlasAddon;
  const original = tf.getKernel("BatchMatMul", "wasm");
  if (!original) throw new Error("no wasm BatchMatMul kernel to replace");
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({
    kernelName: "BatchMatMul",
    backendName: "wasm",
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
      const ra = a.shape.length;
      const rb = b.shape.length;
      const batchA = a.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const batchB = b.shape.slice(0, -2).reduce((x, y) => x * y, 1);
      const sameBatchDims = ra === rb && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
      if (a.dtype !== "float32" || b.dtype !== "float32" || !(sameBatchDims || batchA === 1 || batchB === 1)) {
        return (original.kernelFunc as any)(args);
      }
      const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
      const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
      const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
      const batch = Math.max(batchA, batchB);
      const outShape = [...(batchA >= batchB ? a.shape : b.shape).slice(0, -2), m, n];
      const be = args.backend as unknown as WasmBackend;
      const out = be.makeOutput(outShape, "float32"); // may grow the heap: take the buffer afterwards
      if (m * n * batch === 0) return out;
      const heap = be.wasm.HEAPU8.buffer;
      const view = (t: tf.TensorInfo, len: number) => new Float32Array(heap, be.dataIdMap.get(t.dataId).memoryOffset, len);
      blas.batchSgemm(transposeA, transposeB, m, n, k, batch, batchA === 1 ? 0 : m * k, batchB === 1 ? 0 : k * n, view(a, batchA * m * k), view(b, batchB * k * n), view(out, batch * m * n));
      return out;
    },
  });
  return `OpenBLAS matMul (${blas.coreName()})`;
}
