/**
 * The optional, vendor-neutral GPU path: @tensorflow/tfjs-backend-webgpu on Dawn, through the `webgpu` npm
 * package (Dawn's Node binding, prebuilt for linux/darwin/win32; both are optionalDependencies).
 *
 * Dawn picks its native API (Vulkan, Metal, D3D12) unless `MMSN_WEBGPU_DAWN` names Dawn options
 * (comma-separated, e.g. `backend=vulkan` or `backend=opengles`). When the default finds no adapter, the
 * OpenGL ES backend in WebGPU's compatibility mode is tried, with `EGL_PLATFORM=surfaceless` so that it runs
 * headless (Mesa's llvmpipe on a machine without a GPU: slow, but the same shaders, which is what the tests use).
 *
 * Reads: WebGPU in Node has no synchronous read (tfjs-backend-webgpu's `readSync` goes through a browser
 * OffscreenCanvas). The training loop, checkpoints, feature extraction and probe read with `await data()`;
 * a synchronous read of data still on the GPU throws an error that names the asynchronous alternative.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Limits that tfjs-backend-webgpu's shaders rely on; the device asks for the adapter's values. */
const LIMITS = [
  "maxBufferSize",
  "maxStorageBufferBindingSize",
  "maxStorageBuffersPerShaderStage",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupSizeY",
  "maxComputeWorkgroupSizeZ",
  "maxComputeWorkgroupsPerDimension",
] as const;

interface Dawn {
  create(options: string[]): GPULike;
  globals: Record<string, unknown>;
}
interface GPULike {
  requestAdapter(o?: { featureLevel?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  limits: Record<string, number>;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  requestDevice(d: { requiredLimits: Record<string, number> }): Promise<unknown>;
}

let registered: string | undefined;

/**
 * tfjs-backend-webgpu's AddN binds every input as a storage buffer, so more inputs than the device's
 * `maxStorageBuffersPerShaderStage - 1` (15 in compatibility mode) fail shader validation; the gradient norm
 * sums one term per parameter. Sum in groups that fit, then sum the partial sums.
 */
function chunkAddN(maxInputs: number): void {
  const original = tf.getKernel(tf.AddN, "webgpu");
  if (!original || maxInputs < 2) return;
  tf.unregisterKernel(tf.AddN, "webgpu");
  tf.registerKernel({
    kernelName: tf.AddN,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend, attrs }) => {
      let terms = inputs as unknown as tf.TensorInfo[];
      const partial: tf.TensorInfo[] = [];
      while (terms.length > maxInputs) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < terms.length; i += maxInputs) {
          const group = terms.slice(i, i + maxInputs);
          if (group.length === 1) next.push(group[0]!);
          else {
            const sum = original.kernelFunc({ inputs: group as never, backend, attrs }) as tf.TensorInfo;
            partial.push(sum);
            next.push(sum);
          }
        }
        terms = next;
      }
      const out = original.kernelFunc({ inputs: terms as never, backend, attrs });
      for (const t of partial) (backend as tf.KernelBackend).disposeData(t.dataId);
      return out;
    },
  });
}

/** Where `registerWebgpuBackend` found its adapter: the Dawn options and WebGPU feature level used. */
function attempts(): { options: string[]; featureLevel?: string }[] {
  const env = process.env.MMSN_WEBGPU_DAWN;
  if (env !== undefined && env !== "") {
    const options = env.split(",").map((s) => s.trim()).filter(Boolean);
    return [{ options, featureLevel: options.includes("backend=opengles") ? "compatibility" : undefined }];
  }
  return [{ options: [] }, { options: ["backend=opengles"], featureLevel: "compatibility" }];
}

/**
 * Register the "webgpu" tfjs backend on the first WebGPU adapter Dawn finds (idempotent).
 * @returns a one-line description of the adapter.
 * @throws Error naming the missing package, or every adapter request that failed.
 */
export async function registerWebgpuBackend(): Promise<string> {
  if (registered) return registered;
  let dawn: Dawn;
  try {
    dawn = (await import("webgpu")) as unknown as Dawn;
  } catch (e) {
    throw new Error(`the optional package "webgpu" (Dawn for Node) is not installed or does not load (${(e as Error).message.split("\n")[0]}); run: npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`);
  }
  process.env.EGL_PLATFORM ??= "surfaceless"; // headless EGL for Dawn's OpenGL ES backend
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;

  const failures: string[] = [];
  let found: { adapter: AdapterLike; gpu: GPULike; label: string } | undefined;
  for (const a of attempts()) {
    const label = `Dawn [${a.options.join(",") || "default"}]${a.featureLevel ? ` ${a.featureLevel} mode` : ""}`;
    try {
      const gpu = dawn.create(a.options);
      const adapter = await gpu.requestAdapter(a.featureLevel ? { featureLevel: a.featureLevel } : undefined);
      if (adapter) {
        found = { adapter, gpu, label };
        break;
      }
      failures.push(`${label}: no adapter`);
    } catch (e) {
      failures.push(`${label}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  if (!found) throw new Error(`no WebGPU adapter: ${failures.join("; ")}`);
  const { adapter, gpu, label } = found;

  // tfjs-backend-webgpu reads navigator.gpu when it loads (Node 20 has no navigator; Node 21+ has one without gpu)
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (!g.navigator) g.navigator = {};
  if (!("gpu" in g.navigator)) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  const { WebGPUBackend } = require("@tensorflow/tfjs-backend-webgpu") as typeof import("@tensorflow/tfjs-backend-webgpu");

  /** tfjs-backend-webgpu with a clear error for synchronous reads, which Node cannot do. */
  class NodeWebGPUBackend extends WebGPUBackend {
    override readSync(dataId: object): tf.backend_util.BackendValues {
      const d = this.tensorMap.get(dataId);
      if (d && d.values == null && d.dtype !== "string" && d.dtype !== "complex64") {
        throw new Error(
          "the webgpu backend cannot read GPU data synchronously in Node (dataSync, arraySync, print): use `await tensor.data()`, " +
            "`model.trainStepAsync(batch)` and `model.saveAsync(dir)`; pretrain(), trainRun(), extractFeatures() and the probes already do",
        );
      }
      return super.readSync(dataId);
    }
  }

  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) if (typeof adapter.limits[k] === "number") requiredLimits[k] = adapter.limits[k]!;
  const device = await adapter.requestDevice({ requiredLimits });
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(" ") || "unknown adapter";
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu"); // the package registers its own factory (default limits) when it loads
  tf.registerBackend("webgpu", () => new NodeWebGPUBackend(device as never, info as never));
  chunkAddN((device as { limits: Record<string, number> }).limits.maxStorageBuffersPerShaderStage! - 1);
  registered = `@tensorflow/tfjs-backend-webgpu on ${label}: ${name}`;
  return registered;
}
