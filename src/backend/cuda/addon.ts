/**
 * Loader and typings of the CUDA device addon (native/cuda/, built by `npm install` into
 * native/cuda/build/Release/mmsn_cuda.node with g++; the GPU kernels are a separate fatbin,
 * native/cuda/build/mmsn_kernels.fatbin, built by nvcc when it is present).
 *
 * The addon runs one of two devices behind the same C ABI:
 * - "cuda": an NVIDIA GPU through the driver API (libcuda.so.1, loaded with dlopen, so the addon loads on
 *   machines without a GPU), kernels from the fatbin, GEMM through cuBLAS (libcublas.so.13/.12, dlopen'd;
 *   a SIMT GEMM kernel when cuBLAS is absent);
 * - "host": the same kernel sources compiled for the CPU as plain loops: a reference device, so that the
 *   whole TypeScript backend is tested on machines without a GPU (CI).
 *
 * Every tensor argument is a device buffer id (`Buf`) from `alloc`. Kernels are asynchronous on the GPU
 * (one stream, in order); `download` waits for them.
 */
import { existsSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { findAddon } from "../../utils/find_addon.js";

/** Device buffer id (0 is the empty buffer of a 0-byte tensor). */
export type Buf = number;

export interface CudaDeviceInfo {
  /** "cuda" (a GPU) or "host" (the CPU reference device). */
  device: "cuda" | "host";
  /** e.g. "NVIDIA H100 80GB HBM3" or "host reference device". */
  name: string;
  /** Compute capability "9.0" ("" on host). */
  cc: string;
  /** Device memory in bytes (0 on host). */
  memBytes: number;
  /** GEMM engine: "cuBLAS libcublas.so.13 (tf32)", "SIMT kernel (no cuBLAS: …)" or "host loops". */
  blas: string;
  /** GEMM precision mode in use. */
  math: "fp32" | "tf32" | "bf16";
}

export interface CudaProbe {
  /** True when libcuda.so.1 loads, cuInit succeeds and at least one device exists. */
  ok: boolean;
  /** Why not (empty when ok), e.g. "libcuda.so.1 not found (no NVIDIA driver)". */
  reason: string;
  devices: { name: string; cc: string; memBytes: number }[];
}

export interface CudaAddon {
  probe(): CudaProbe;
  /** Open the device (once per process; a second call with the same device returns its info). */
  /**
   * Open the device (once per process; a second call with the same device returns its info). For "cuda":
   * `kernels` is the fatbin path (required) and `cublas` the libraries to try in order (see cublasCandidates).
   */
  open(opts: { device: "cuda" | "host"; ordinal?: number; kernels?: string; math?: "fp32" | "tf32" | "bf16"; cublas?: string[] }): CudaDeviceInfo;
  /**
   * GEMM precision of every later batchMatmul: "bf16" = bf16 inputs, fp32 accumulation and output (cuBLAS
   * CUBLAS_COMPUTE_32F_FAST_16BF; rounding emulated on the host device), "fp32" = back to the math mode opened
   * with (MMSN_CUDA_MATH). Returns the previous one. Use src/backend/precision.ts rather than this.
   */
  setPrecision(p: "fp32" | "bf16"): "fp32" | "bf16";
  alloc(bytes: number): Buf;
  free(buf: Buf): void;
  upload(buf: Buf, src: ArrayBufferView): void;
  /** Synchronous: waits for every queued kernel, then copies the buffer's first dst.byteLength bytes. */
  download(buf: Buf, dst: ArrayBufferView): void;
  sync(): void;
  memory(): { inUseBytes: number; cachedBytes: number; buffers: number };
  emptyCache(): void;

  /** c[b] = alpha·op(a[b])·op(b[b]), row-major [M,K]·[K,N]; batch strides in elements (0 = broadcast). */
  batchMatmul(ta: boolean, tb: boolean, m: number, n: number, k: number, batch: number, strideA: number, strideB: number, alpha: number, a: Buf, b: Buf, c: Buf): void;
  /**
   * out[i] = op(a, b) over `shape` (rank ≤ 8) with per-input element strides (0 = broadcast); out is contiguous:
   * float32 for BINARY_OPS, bool (1 byte) for COMPARE_OPS.
   */
  binary(op: number, shape: number[], stridesA: number[], stridesB: number[], a: Buf, b: Buf, out: Buf): void;
  unary(op: number, alpha: number, x: Buf, out: Buf, n: number): void;
  /** x viewed as [outer, r, inner] reduced over r → out [outer, inner]. */
  reduce(op: number, outer: number, r: number, inner: number, x: Buf, out: Buf): void;
  /** 4-byte elements, rank ≤ 8. */
  transpose(inShape: number[], perm: number[], x: Buf, out: Buf): void;
  /** Copy the block `size` at srcBegin of src [srcShape] to dstBegin of dst [dstShape]; 4-byte elements, rank ≤ 8. */
  copyBlock(size: number[], srcShape: number[], srcBegin: number[], dstShape: number[], dstBegin: number[], src: Buf, dst: Buf): void;
  /** n float32 values = value. */
  fill(value: number, out: Buf, n: number): void;
  /** Element conversion; dtype codes in CAST_TYPES (bool is 1 byte per element, as tfjs stores it). */
  cast(from: number, to: number, x: Buf, out: Buf, n: number): void;
  /** Softmax (or log-softmax) over the last axis of [rows, cols]. */
  softmax(rows: number, cols: number, log: boolean, x: Buf, out: Buf): void;
  /** ds = scale·p·(dp − Σ_row p·dp) over rows of [rows, cols] (the softmax backward). */
  softmaxGrad(rows: number, cols: number, scale: number, p: Buf, dp: Buf, ds: Buf): void;
  layerNormFwd(rows: number, d: number, eps: number, x: Buf, gamma: Buf, beta: Buf, y: Buf, xhat: Buf, rstd: Buf): void;
  layerNormBwd(rows: number, d: number, dy: Buf, xhat: Buf, rstd: Buf, gamma: Buf, dx: Buf, dgamma: Buf, dbeta: Buf): void;
  geluFwd(n: number, x: Buf, y: Buf): void;
  geluBwd(n: number, dy: Buf, x: Buf, dx: Buf): void;
  /** out[i, :] = x[idx[i], :] for rows of `rowWords` 4-byte words; idx is an int32 buffer (indices checked by the caller). */
  gatherRows(nIdx: number, rowWords: number, idx: Buf, x: Buf, out: Buf): void;
  adamw(n: number, decay: number, b1: number, b2: number, gscale: number, invBc2Sqrt: number, eps: number, lrBc1: number, p: Buf, m: Buf, v: Buf, g: Buf, pOut: Buf, mOut: Buf, vOut: Buf): void;
}

/**
 * Comparisons, as in native/cuda/kernels/params.h: the same binary kernel as ../op_codes.ts's BINARY_OPS
 * (whose numbering they continue), writing a bool (1 byte per element) output.
 */
export const COMPARE_OPS = { Greater: 8, GreaterEqual: 9, Less: 10, LessEqual: 11, Equal: 12, NotEqual: 13 } as const;
export const CAST_TYPES = { float32: 0, int32: 1, bool: 2 } as const;

const ADDON = "native/cuda/build/Release/mmsn_cuda.node";
const KERNELS = "native/cuda/build/mmsn_kernels.fatbin";

let cached: CudaAddon | undefined;

/** Load the addon once. Throws with the reason (and the fix) when it is not built. */
export function loadCudaAddon(): CudaAddon {
  if (cached) return cached;
  const path = process.env.MMSN_CUDA_ADDON || findAddon(ADDON, import.meta.url);
  if (!path) throw new Error("the CUDA device addon is not built (apt-get install g++ make, then node native/build.mjs)");
  cached = createRequire(import.meta.url)(path) as CudaAddon;
  return cached;
}

/** Path of the nvcc-built kernel fatbin, or undefined when nvcc was absent at install time. */
export function cudaKernelsPath(): string | undefined {
  return process.env.MMSN_CUDA_KERNELS || findAddon(KERNELS, import.meta.url);
}

/**
 * cuBLAS libraries to try, in order: MMSN_CUBLAS (a path), the sonames libcublas.so.13 and .12 (found when
 * on the loader path), then the copies that pip's nvidia-cublas wheels put under Python site-packages
 * (nvidia/cu13/lib, nvidia/cublas/lib), as on machines where PyTorch brought CUDA along.
 */
export function cublasCandidates(): string[] {
  const out: string[] = [];
  if (process.env.MMSN_CUBLAS) out.push(process.env.MMSN_CUBLAS);
  out.push("libcublas.so.13", "libcublas.so.12");
  const roots = ["/usr/local/lib", "/usr/lib", join(homedir(), ".local/lib"), ...ls("/opt").map((d) => join("/opt", d, ".venv/lib"))];
  if (process.env.VIRTUAL_ENV) roots.unshift(join(process.env.VIRTUAL_ENV, "lib"));
  for (const root of roots) {
    for (const py of ls(root).filter((d) => d.startsWith("python3"))) {
      for (const pk of ["site-packages", "dist-packages"]) {
        for (const sub of ["nvidia/cu13/lib", "nvidia/cublas/lib"]) {
          for (const so of ["libcublas.so.13", "libcublas.so.12"]) {
            const p = join(root, py, pk, sub, so);
            if (existsSync(p)) out.push(p);
          }
        }
      }
    }
  }
  return [...new Set(out)];
}

function ls(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
