/**
 * Backend selection. One call at start-up picks the fastest backend that really loads and reports it:
 *
 * 1. `tensorflow`: @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, when installed *and* its native
 *    binding loads (detected with `tf.getBackend()`, never by whether `import` succeeds: with danfojs-node's
 *    override, `@tensorflow/tfjs-node` may resolve to the pure-JS union package).
 * 2. `cuda`: this package's CUDA backend (src/backend/cuda: tensors in GPU memory, cuBLAS GEMM, device
 *    kernels, fused LayerNorm/GELU/attention/AdamW), chosen automatically only on a real NVIDIA GPU (the
 *    addon's probe finds a device) with the GPU kernels built (nvcc at install time).
 * 3. `native`: this package's N-API backend (src/backend/native: OpenBLAS GEMM, OpenMP kernels, fused
 *    LayerNorm/GELU/softmax/AdamW), when `npm install` could build it (needs libopenblas-dev and g++).
 * 4. `wasm`: @tensorflow/tfjs-backend-wasm (SIMD in Node 20; tfjs disables wasm threads in Node).
 * 5. `cpu`: @tensorflow/tfjs-backend-cpu (pure JS; slow, always works).
 *
 * `webgpu` (src/backend/webgpu.ts: tfjs-backend-webgpu on Dawn, any vendor's GPU) is used only when named:
 * its reads are asynchronous only, and on a machine without a GPU Dawn's software adapter is slower than
 * the CPU backends.
 *
 * `MMSN_BACKEND=tensorflow|cuda|webgpu|native|wasm|cpu` forces a choice (an error if it cannot load).
 * `MMSN_BACKEND=cuda MMSN_CUDA_DEVICE=host` runs the cuda backend on the addon's CPU reference device
 * (for tests without a GPU; automatic selection never picks it).
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
// tfjs-core alone registers no gradients and its dist/register_all_gradients is not loadable as Node ESM;
// the union package's CommonJS bundle registers all of them in the (global) gradient registry.
import "@tensorflow/tfjs-backend-cpu";
import { installBlasMatMul } from "./blas_matmul.js";
import { cudaDevice, registerCudaBackend } from "./cuda/backend.js";
import { registerNativeBackend } from "./native/backend.js";
import { registerWebgpuBackend } from "./webgpu.js";

const require = createRequire(import.meta.url);
require("@tensorflow/tfjs");

/** Every backend `initBackend` knows, in its automatic order (webgpu only when named). */
export const BACKEND_NAMES = ["tensorflow", "cuda", "webgpu", "native", "wasm", "cpu"] as const;
/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];
/** The automatic choice tries these in order (webgpu only when named). */
const AUTO_ORDER: readonly BackendName[] = BACKEND_NAMES.filter((n) => n !== "webgpu");

/** What `initBackend` chose and why. */
export interface BackendInfo {
  readonly name: BackendName;
  /** Human-readable details: package, SIMD/threads, why faster ones were skipped. */
  readonly details: string;
  /** Reasons each skipped backend was not used. */
  readonly skipped: Readonly<Partial<Record<BackendName, string>>>;
}

let chosen: BackendInfo | undefined;

/** How to get TensorFlow's native binding, said wherever it is missing. */
const TFJS_NODE_GPU_FIX = "it is optional; to use it: npm install @tensorflow/tfjs-node-gpu@4.22.0, whose install downloads libtensorflow from " +
  "storage.googleapis.com and so needs network access (on an NVIDIA GPU this package's own cuda backend needs no download)";

/**
 * What `require(pkg)` would load: not installed, an npm alias of another package (danfojs-node's override maps
 * `@tensorflow/tfjs-node` to the pure-JS `@tensorflow/tfjs`, which has no native binding), or the package itself.
 */
function installedAs(pkg: string): { readonly found: false } | { readonly found: true; readonly name: string; readonly version: string } {
  let manifest: string;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch {
    return { found: false };
  }
  const { name, version } = require(manifest) as { name: string; version: string };
  return { found: true, name, version };
}

async function tryTensorflow(): Promise<string> {
  const errors: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    const inst = installedAs(pkg);
    if (!inst.found) {
      errors.push(`${pkg} not installed`);
      continue;
    }
    if (inst.name !== pkg) {
      errors.push(`${pkg} here is an npm alias of the pure-JS ${inst.name}@${inst.version} (a package.json override), not TensorFlow's native binding`);
      continue;
    }
    try {
      // Loading a real tfjs-node registers the "tensorflow" backend in *its* tfjs-core copy; only a
      // registration visible to our tfjs-core counts.
      require(pkg);
      if (tf.findBackendFactory("tensorflow") && (await tf.setBackend("tensorflow")) && tf.getBackend() === "tensorflow") {
        return `${pkg}@${inst.version}`;
      }
      errors.push(`${pkg}@${inst.version} loaded but registered its "tensorflow" backend in another copy of tfjs-core (install the tfjs 4.22.0 it expects)`);
    } catch (e) {
      errors.push(`${pkg}@${inst.version} is installed but its native binding did not load: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(`${errors.join("; ")}. ${TFJS_NODE_GPU_FIX[0]!.toUpperCase()}${TFJS_NODE_GPU_FIX.slice(1)}`);
}

/** Forced: the device from MMSN_CUDA_DEVICE (default "cuda"); automatic: a real GPU only. */
async function tryCuda(forced: boolean): Promise<string> {
  const details = registerCudaBackend(forced ? {} : { device: "cuda" });
  if (!forced && cudaDevice() !== "cuda") throw new Error("the cuda backend was registered on the host reference device; automatic selection uses it only on a GPU");
  if (!(await tf.setBackend("cuda")) || tf.getBackend() !== "cuda") throw new Error("tf.setBackend('cuda') failed");
  return details;
}

async function tryNative(): Promise<string> {
  const details = registerNativeBackend();
  if (!(await tf.setBackend("native")) || tf.getBackend() !== "native") throw new Error("tf.setBackend('native') failed");
  return details;
}

async function tryWebgpu(): Promise<string> {
  const details = await registerWebgpuBackend();
  if (!(await tf.setBackend("webgpu")) || tf.getBackend() !== "webgpu") throw new Error("tf.setBackend('webgpu') failed");
  return details;
}

async function tryWasm(): Promise<string> {
  await import("@tensorflow/tfjs-backend-wasm");
  if (!(await tf.setBackend("wasm")) || tf.getBackend() !== "wasm") throw new Error("tf.setBackend('wasm') failed");
  const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
  let blas: string;
  if (process.env.MMSN_BLAS === "0") blas = "OpenBLAS matMul off (MMSN_BLAS=0)";
  else {
    try {
      blas = installBlasMatMul();
    } catch (e) {
      blas = `no OpenBLAS matMul: ${(e as Error).message}`;
    }
  }
  return `@tensorflow/tfjs-backend-wasm (SIMD ${simd ? "on" : "off"}, 1 thread: tfjs disables wasm threads in Node) + ${blas}`;
}

async function tryCpu(): Promise<string> {
  if (!(await tf.setBackend("cpu")) || tf.getBackend() !== "cpu") throw new Error("tf.setBackend('cpu') failed");
  return "@tensorflow/tfjs-backend-cpu (pure JavaScript)";
}

/** Loaders by name; `forced` is true when MMSN_BACKEND (or opts.force) named the backend. */
const LOADERS: Record<BackendName, (forced: boolean) => Promise<string>> = { tensorflow: tryTensorflow, cuda: tryCuda, webgpu: tryWebgpu, native: tryNative, wasm: tryWasm, cpu: tryCpu };

/**
 * Pick and activate the backend (idempotent: later calls return the first choice).
 * @param opts.force a backend name; defaults to `process.env.MMSN_BACKEND`.
 * @param opts.quiet do not print the one-line report.
 * @returns what was chosen; throws if a forced backend cannot load or the name is unknown.
 * @example const info = await initBackend(); // prints "[mmsn] backend: wasm ..."
 */
export async function initBackend(opts: { force?: string; quiet?: boolean } = {}): Promise<BackendInfo> {
  const force = opts.force ?? process.env.MMSN_BACKEND;
  if (chosen && (!force || force === chosen.name)) return chosen;
  if (force !== undefined && force !== "" && !(BACKEND_NAMES as readonly string[]).includes(force)) {
    throw new Error(`MMSN_BACKEND="${force}" is not a backend; valid values: ${BACKEND_NAMES.join(", ")}`);
  }
  const order: readonly BackendName[] = force ? [force as BackendName] : AUTO_ORDER;
  const skipped: Partial<Record<BackendName, string>> = {};
  for (const name of order) {
    try {
      const details = await LOADERS[name](Boolean(force));
      chosen = { name, details, skipped };
      if (!opts.quiet) {
        const why = Object.entries(skipped).map(([k, v]) => `${k}: ${v}`).join("; ");
        console.error(`[mmsn] backend: ${name} — ${details}${why ? ` (skipped ${why})` : ""}`);
      }
      return chosen;
    } catch (e) {
      skipped[name] = (e as Error).message;
      if (force) throw new Error(`backend "${force}" was forced (MMSN_BACKEND) but cannot load: ${skipped[name]}`);
    }
  }
  throw new Error(`no tfjs backend could load: ${JSON.stringify(skipped)}`);
}

/** The backend chosen by `initBackend`, or undefined before it ran. */
export function currentBackend(): BackendInfo | undefined {
  return chosen;
}
