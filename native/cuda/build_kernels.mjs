// Builds the CUDA backend's GPU kernels ahead of time: nvcc compiles native/cuda/kernels.cu into
// native/cuda/build/mmsn_kernels.fatbin with SASS for sm_80 (A100) and sm_90 (H100/H200) and compute_90 PTX
// (newer GPUs JIT it once; the driver caches the result). Where nvcc is absent it says so and returns;
// the addon then still runs its host reference device. MMSN_CUDA_GENCODE overrides the target list, e.g.
// "arch=compute_86,code=sm_86". Run by native/build.mjs; also runnable alone: node native/cuda/build_kernels.mjs
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const FATBIN = join(here, "build/mmsn_kernels.fatbin");
const GENCODE = ["arch=compute_80,code=sm_80", "arch=compute_90,code=sm_90", "arch=compute_90,code=compute_90"];

/** nvcc from $CUDA_HOME, the PATH or /usr/local/cuda, else undefined. */
export function findNvcc() {
  const candidates = [process.env.CUDA_HOME && join(process.env.CUDA_HOME, "bin/nvcc"), "nvcc", "/usr/local/cuda/bin/nvcc"].filter(Boolean);
  return candidates.find((c) => spawnSync(c, ["--version"], { stdio: "ignore" }).status === 0);
}

/** @returns {{ ok: boolean, message: string }} */
export function buildKernels() {
  if (process.env.MMSN_SKIP_CUDA_KERNELS === "1") return { ok: false, message: "skipped (MMSN_SKIP_CUDA_KERNELS=1)" };
  const nvcc = findNvcc();
  if (!nvcc) return { ok: false, message: "nvcc not found (install the CUDA toolkit, then node native/build.mjs)" };
  const gencode = process.env.MMSN_CUDA_GENCODE ? process.env.MMSN_CUDA_GENCODE.split(/\s+/) : GENCODE;
  mkdirSync(dirname(FATBIN), { recursive: true });
  const tmp = `${FATBIN}.tmp`;
  const r = spawnSync(nvcc, ["-fatbin", "-O3", "-std=c++17", ...gencode.flatMap((g) => ["-gencode", g]), "-o", tmp, join(here, "kernels.cu")], { encoding: "utf8" });
  if (r.status !== 0 || !existsSync(tmp)) {
    const why = (r.stderr || r.stdout || String(r.error ?? "")).split("\n").filter((l) => /error/i.test(l)).slice(0, 3).join(" | ");
    return { ok: false, message: `nvcc failed: ${why || "unknown error"}` };
  }
  renameSync(tmp, FATBIN); // whole file or none
  return { ok: true, message: `native/cuda/build/mmsn_kernels.fatbin (${gencode.map((g) => g.split("code=")[1]).join(", ")})` };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const r = buildKernels();
  console.log(`[mmsn] CUDA kernels: ${r.message}`);
  process.exit(r.ok ? 0 : 1);
}
