// Optional build of the native addons, run by `npm install`: mmsn_native.node (the "native" tfjs backend,
// src/backend/native) and mmsn_blas.node (OpenBLAS matMul for the wasm backend); then, separately,
// native/jpeg/mmsn_jpeg.node (JPEG decoding with libjpeg-turbo DCT scaling for data-loaders/image.ts) and
// native/jpeg/mmsn_png.node (PNG decoding with the vendored libdeflate, no system library) and
// native/cuda/build/Release/mmsn_cuda.node (the "cuda" backend's device addon, g++ only) plus, where nvcc
// exists, its GPU kernels native/cuda/build/mmsn_kernels.fatbin (see native/cuda/build_kernels.mjs).
// It never fails the install: without g++ the package runs on plain tfjs-wasm (OpenBLAS is optional: the
// native backend has its own GEMM, native/backend/gemm.cc; binding.gyp adds OpenBLAS, and the mmsn_blas
// target, only where its headers exist and MMSN_NO_OPENBLAS is not 1), without
// libjpeg headers JPEGs are decoded by sharp, and it says so.
// The system packages it wants on Debian/Ubuntu: g++ make; optionally libopenblas-dev, libjpeg62-turbo-dev.
import { spawnSync } from "node:child_process";
import { buildKernels } from "./cuda/build_kernels.mjs";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (process.env.MMSN_SKIP_NATIVE === "1") process.exit(0);
// npm sets npm_config_node_gyp for install scripts; run by hand, use the node-gyp bundled with npm.
const npmGyp = () => {
  const which = spawnSync("sh", ["-c", "readlink -f \"$(command -v npm)\""], { encoding: "utf8" }).stdout.trim();
  return which ? join(dirname(which), "../node_modules/node-gyp/bin/node-gyp.js") : "";
};
const gyp = process.env.npm_config_node_gyp || npmGyp();
// Build against the local Node headers (no download: the machine may be offline).
const nodedir = process.env.npm_config_nodedir || (existsSync("/usr/include/node/node_api.h") ? "/usr" : "");
const build = (dir) => existsSync(gyp)
  ? spawnSync(process.execPath, [gyp, "rebuild", "--directory", dir, ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" })
  : { status: 1, stdout: "", stderr: "error: node-gyp not found (it ships with npm)" };
const firstErrors = (r) => (r.stderr || r.stdout || String(r.error ?? "")).split("\n").filter((l) => /error|not found|No such/i.test(l)).slice(0, 3).join(" | ");
const r = build(here);
if (r.status === 0 && existsSync(join(here, "build/Release/mmsn_native.node"))) {
  if (existsSync(join(here, "build/Release/mmsn_blas.node"))) {
    console.log("[mmsn] built the native tfjs backend (native/build/Release/mmsn_native.node: OpenBLAS + OpenMP) and the wasm OpenBLAS matMul addon");
  } else {
    console.log("[mmsn] built the native tfjs backend (native/build/Release/mmsn_native.node: own GEMM + OpenMP; " +
      `${process.env.MMSN_NO_OPENBLAS === "1" ? "OpenBLAS left out by MMSN_NO_OPENBLAS=1" : "no OpenBLAS headers"}, so no wasm OpenBLAS matMul addon: apt-get install libopenblas-dev for it)`);
  }
} else {
  const why = firstErrors(r);
  console.log(`[mmsn] optional native backend not built (${why || "node-gyp failed"}); the package will use tfjs-wasm instead. ` +
    "To get it: apt-get install g++ make (libopenblas-dev optional), then npm rebuild multimodal-msn (or node native/build.mjs).");
}
const jpegDir = join(here, "jpeg");
const rj = build(jpegDir);
const jpegBuilt = rj.status === 0 && existsSync(join(jpegDir, "build/Release/mmsn_jpeg.node"));
if (jpegBuilt) {
  console.log("[mmsn] built the JPEG decoder (native/jpeg/build/Release/mmsn_jpeg.node: libjpeg-turbo DCT scaling)");
} else {
  console.log(`[mmsn] optional JPEG decoder not built (${firstErrors(rj) || "node-gyp failed"}); JPEGs will be decoded by sharp (slower at shortSide 256). ` +
    "To get it: apt-get install libjpeg62-turbo-dev g++ make, then node native/build.mjs.");
}
// The PNG decoder (mmsn_png: vendored libdeflate, native/third_party/libdeflate) is a second target of the same
// binding.gyp that needs no system library: when the JPEG target failed, build it alone (-Dmmsn_jpeg=0).
const pngNode = join(jpegDir, "build/Release/mmsn_png.node");
const rp = jpegBuilt || !existsSync(gyp) ? rj
  : spawnSync(process.execPath, [gyp, "rebuild", "--directory", jpegDir, ...(nodedir ? [`--nodedir=${nodedir}`] : []), "--", "-Dmmsn_jpeg=0"], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
if (rp.status === 0 && existsSync(pngNode)) {
  console.log("[mmsn] built the PNG decoder (native/jpeg/build/Release/mmsn_png.node: libdeflate inflate, channel 0 of 8/16-bit PNGs)");
} else {
  console.log(`[mmsn] optional PNG decoder not built (${firstErrors(rp) || "node-gyp failed"}); PNGs will be decoded by sharp (slower). ` +
    "To get it: apt-get install g++ make, then node native/build.mjs.");
}
if (rp.status === 0 && existsSync(join(jpegDir, "build/Release/mmsn_views.node"))) {
  console.log("[mmsn] built the MSN view resampler (native/jpeg/build/Release/mmsn_views.node: same bits as the TypeScript views, ~3× faster)");
} else {
  console.log("[mmsn] optional MSN view resampler not built; views are computed in TypeScript (slower, same values).");
}
const cudaDir = join(here, "cuda");
const rc = build(cudaDir); // node-gyp rebuild empties native/cuda/build: the fatbin comes after it
if (rc.status === 0 && existsSync(join(cudaDir, "build/Release/mmsn_cuda.node"))) {
  const k = buildKernels();
  console.log(`[mmsn] built the CUDA device addon (native/cuda/build/Release/mmsn_cuda.node); ${k.ok ? `GPU kernels: ${k.message}` : `no GPU kernels: ${k.message}`}`);
} else {
  console.log(`[mmsn] optional CUDA device addon not built (${firstErrors(rc) || "node-gyp failed"}); the package will not use an NVIDIA GPU.`);
}

// The GPU, said once at install: what is here, what the package will use, and what to do about the rest.
const hasDriver = spawnSync("sh", ["-c", "ldconfig -p 2>/dev/null | grep -q 'libcuda\\.so\\.1'"]).status === 0;
let tfjsNodeGpu = "not installed (an optional peer dependency: npm install @tensorflow/tfjs-node-gpu@4.22.0 downloads libtensorflow, so it needs network access)";
try {
  const m = createRequire(import.meta.url)("@tensorflow/tfjs-node-gpu/package.json");
  tfjsNodeGpu = m.name === "@tensorflow/tfjs-node-gpu" ? `installed (${m.version})` : `an alias of ${m.name}@${m.version}, not the native binding`;
} catch { /* not installed: the default text */ }
const cudaBuilt = existsSync(join(cudaDir, "build/mmsn_kernels.fatbin"));
console.log(`[mmsn] GPU: NVIDIA driver ${hasDriver ? "found (libcuda.so.1)" : "not found"}; this package's cuda backend ${cudaBuilt ? "built with GPU kernels" : "has no GPU kernels (no nvcc at install)"}` +
  `${hasDriver && cudaBuilt ? " and will be chosen automatically" : hasDriver ? ": install the CUDA toolkit (nvcc), then npm rebuild multimodal-msn" : ": training runs on the CPU"}; @tensorflow/tfjs-node-gpu ${tfjsNodeGpu}. ` +
  "Check at run time: npx mmsn backend.");
