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
/**
 * Precision of one GEMM call (`sgemm`'s last argument): "fp32", "bf16" (inputs rounded to bf16, fp32
 * accumulation and output; the vdpbf16ps kernel where the CPU has AVX512-BF16 and the path is avx512) or
 * "bf16-emulated" (the same rounding done while packing, then the fp32 kernel: the fallback of CPUs without it).
 */
export type GemmCallPrecision = "fp32" | "bf16" | "bf16-emulated";

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
  /**
   * precision: the process-wide GEMM precision (setPrecision); avx512bf16: the CPU has vdpbf16ps; bf16Gemm: the
   * path a bf16 GEMM takes, "avx512bf16 (vdpbf16ps)" or "emulated (bf16 rounding while packing, fp32 … kernel)".
   */
  info(): { blasCore: string; threads: number; gemm: "own" | "openblas"; gemmIsa: GemmIsa; gemmBestIsa: GemmIsa; openblas: boolean; precision: "fp32" | "bf16"; avx512bf16: boolean; bf16Gemm: string };
  setThreads(n: number): void;
  /**
   * One row-major GEMM on the calling thread: C = alpha·op(A)·op(B) + beta·C (lda/ldb/ldc are row strides).
   * With `isa`, the own GEMM on that path (throws if the CPU lacks it); without (or undefined), the process-wide
   * choice. `precision` overrides the process-wide precision for this call.
   */
  sgemm(ta: boolean, tb: boolean, m: number, n: number, k: number, alpha: number, a: F32, lda: number, b: F32, ldb: number, beta: number, c: F32, ldc: number, isa?: GemmIsa, precision?: GemmCallPrecision): void;
  /** The process-wide GEMM ("" keeps a setting); false, changing nothing, if unknown or unavailable. */
  setGemm(impl: "own" | "openblas" | "", isa?: GemmIsa | ""): boolean;
  /**
   * The process-wide GEMM precision of every later matMul and attention GEMM ("bf16": inputs rounded to bf16,
   * fp32 accumulation and output; OpenBLAS, where chosen, is bypassed for it). Returns the previous one. Use
   * src/backend/precision.ts (`withGemmPrecision`), which scopes it, rather than this.
   */
  setPrecision(p: "fp32" | "bf16"): "fp32" | "bf16";
  /** out[i] = x[i] rounded to bf16 (nearest even) and widened back to fp32, as the bf16 GEMM rounds its inputs. */
  bf16Round(x: F32, out: F32): void;
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
