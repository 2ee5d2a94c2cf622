// Optional build of the native addons, run by `npm install`: mmsn_native.node (the "native" tfjs backend,
// src/backend/native) and mmsn_blas.node (OpenBLAS matMul for the wasm backend); then, separately,
// native/jpeg/mmsn_jpeg.node (JPEG decoding with libjpeg-turbo DCT scaling for data-loaders/image.ts) and
// native/cuda/build/Release/mmsn_cuda.node (the "cuda" backend's device addon, g++ only) plus, where nvcc
// exists, its GPU kernels native/cuda/build/mmsn_kernels.fatbin (see native/cuda/build_kernels.mjs).
// It never fails the install: without g++/OpenBLAS headers the package runs on plain tfjs-wasm, without
// libjpeg headers JPEGs are decoded by sharp, and it says so.
// The system packages it wants on Debian/Ubuntu: libopenblas-dev, libjpeg62-turbo-dev.
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
  console.log("[mmsn] built the native tfjs backend (native/build/Release/mmsn_native.node: OpenBLAS + OpenMP) and the wasm OpenBLAS matMul addon");
} else {
  const why = firstErrors(r);
  console.log(`[mmsn] optional native backend not built (${why || "node-gyp failed"}); the package will use tfjs-wasm instead. ` +
    "To get it: apt-get install libopenblas-dev g++ make, then npm rebuild multimodal-msn (or node native/build.mjs).");
}
const jpegDir = join(here, "jpeg");
const rj = build(jpegDir);
if (rj.status === 0 && existsSync(join(jpegDir, "build/Release/mmsn_jpeg.node"))) {
  console.log("[mmsn] built the JPEG decoder (native/jpeg/build/Release/mmsn_jpeg.node: libjpeg-turbo DCT scaling)");
} else {
  console.log(`[mmsn] optional JPEG decoder not built (${firstErrors(rj) || "node-gyp failed"}); JPEGs will be decoded by sharp (slower at shortSide 256). ` +
    "To get it: apt-get install libjpeg62-turbo-dev g++ make, then node native/build.mjs.");
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
