/**
 * Loader and typings of the native backend's N-API addon (native/backend/*.cc, built by `npm install` into
 * native/build/Release/mmsn_native.node when g++ is present; libopenblas-dev is optional). Every tensor
 * argument is a TypedArray that the addon reads or writes in place.
 */
import { createRequire } from "node:module";
import { findAddon } from "../../utils/find_addon.js";
import { fixOpenBlasCoreType } from "../openblas_env.js";

type F32 = Float32Array;
/** The own GEMM's dispatch paths (native/backend/gemm.cc). */
export type GemmIsa = "avx512" | "avx2" | "scalar";

export interface NativeAddon {
  batchMatmul(ta: boolean, tb: boolean, m: number, n: number, k: number, batch: number, strideA: number, strideB: number, a: F32, b: F32, c: F32): void;
  binary(op: number, shape: number[], stridesA: number[], stridesB: number[], a: F32, b: F32, out: F32): void;
  unary(op: number, alpha: number, x: F32, out: F32, n: number): void;
  reduce(op: number, outer: number, r: number, inner: number, x: F32, out: F32): void;
  transpose(inShape: number[], perm: number[], x: F32 | Int32Array, out: F32 | Int32Array, elemBytes: number): void;
  copyBlock(size: number[], srcShape: number[], srcBegin: number[], dstShape: number[], dstBegin: number[], src: F32 | Int32Array, dst: F32 | Int32Array, elemBytes: number): void;
  fill(value: number, out: F32, n: number): void;
  attentionFwd(b: number, t: number, h: number, dh: number, scale: number, q: F32, k: F32, v: F32, o: F32, p: F32): void;
  attentionBwd(b: number, t: number, h: number, dh: number, scale: number, dout: F32, q: F32, k: F32, v: F32, p: F32, dq: F32, dk: F32, dv: F32): void;
  softmax(rows: number, cols: number, x: F32, out: F32): void;
  layerNormFwd(rows: number, d: number, eps: number, x: F32, gamma: F32, beta: F32, y: F32, xhat: F32, rstd: F32): void;
  layerNormBwd(rows: number, d: number, dy: F32, xhat: F32, rstd: F32, gamma: F32, dx: F32, dgamma: F32, dbeta: F32): void;
  geluFwd(n: number, x: F32, y: F32): void;
  geluBwd(n: number, dy: F32, x: F32, dx: F32): void;
  gatherRows(nIdx: number, rowBytes: number, nRows: number, idx: Int32Array, x: F32 | Int32Array, out: F32 | Int32Array): void;
  addN(xs: F32[], out: F32, n: number): void;
  adamw(n: number, decay: number, b1: number, b2: number, gscale: number, invBc2Sqrt: number, eps: number, lrBc1: number, p: F32, m: F32, v: F32, g: F32, pOut: F32, mOut: F32, vOut: F32): void;
  /** blasCore: the GEMM in use, "own GEMM avx512" or "OpenBLAS Cooperlake"; openblas: compiled with OpenBLAS. */
  info(): { blasCore: string; threads: number; gemm: "own" | "openblas"; gemmIsa: GemmIsa; gemmBestIsa: GemmIsa; openblas: boolean };
  setThreads(n: number): void;
  /**
   * One row-major GEMM on the calling thread: C = alpha·op(A)·op(B) + beta·C (lda/ldb/ldc are row strides).
   * With `isa`, the own GEMM on that path (throws if the CPU lacks it); without, the process-wide choice.
   */
  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: F32, lda: number, b: F32, ldb: number, beta: number, c: F32, ldc: number, isa?: GemmIsa): void;
  /** The process-wide GEMM ("" keeps a setting); false, changing nothing, if unknown or unavailable. */
  setGemm(impl: "own" | "openblas" | "", isa?: GemmIsa | ""): boolean;
}

let cached: NativeAddon | undefined;

/** Load the addon once. Throws with the reason (and the fix) when it is not built or does not load. */
export function loadNativeAddon(): NativeAddon {
  if (cached) return cached;
  // MMSN_NATIVE_ADDON: a build elsewhere (development)
  const path = process.env.MMSN_NATIVE_ADDON || findAddon("native/build/Release/mmsn_native.node", import.meta.url);
  if (!path) throw new Error("the native backend addon is not built (apt-get install g++ make, then node native/build.mjs)");
  fixOpenBlasCoreType();
  // OpenMP threads that spin while waiting lose whole scheduler quanta whenever another process shares the
  // 2 cores (steps 3–5× slower and erratic); sleeping waits cost a few µs per kernel. libgomp reads this
  // when the addon loads. (The perf notes found the same for PyTorch: OMP_WAIT_POLICY=PASSIVE was fastest.)
  process.env.OMP_WAIT_POLICY ??= "passive";
  cached = createRequire(import.meta.url)(path) as NativeAddon;
  return cached;
}
