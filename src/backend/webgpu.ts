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

/** Debian's Mesa EGL + OpenGL ES drivers: a software adapter (llvmpipe) for Dawn's OpenGL ES backend without a GPU. */
export const MESA_PACKAGES = ["libegl1", "libegl-mesa0", "libgles2", "libgl1-mesa-dri"] as const;

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
  requestDevice(d: { requiredLimits: Record<string, number> }): Promise<DeviceLike>;
}
interface DeviceLike {
  limits: Record<string, number>;
  lost: Promise<{ reason: string; message: string }>;
  addEventListener(type: "uncapturederror", f: (e: { error: { message: string } }) => void): void;
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

/** The adapter requests `registerWebgpuBackend` makes, in order: Dawn's options and the WebGPU feature level. */
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
  if (!found) {
    throw new Error(
      `no WebGPU adapter: ${failures.join("; ")}. MMSN_WEBGPU_DAWN sets Dawn's options (e.g. backend=vulkan or backend=opengles); ` +
        `without a GPU, Mesa's EGL and OpenGL ES drivers give a software adapter (Debian: apt-get install ${MESA_PACKAGES.join(" ")})`,
    );
  }
  const { adapter, gpu, label } = found;

  // tfjs-backend-webgpu reads navigator.gpu when it loads (Node 20 has no navigator; Node 21+ has one without gpu)
  const g = globalThis as { navigator?: Record<string, unknown> };
  if (!g.navigator) g.navigator = {};
  if (!("gpu" in g.navigator)) Object.defineProperty(g.navigator, "gpu", { value: gpu, configurable: true });
  // A dynamic import (not a require) so that bundlers follow it; the package reads navigator.gpu as it loads.
  // Its Node build is CommonJS: module.exports is the default export, in Node and in an esbuild bundle alike.
  type Pkg = typeof import("@tensorflow/tfjs-backend-webgpu");
  let pkg: { default: Pkg };
  try {
    pkg = (await import("@tensorflow/tfjs-backend-webgpu")) as unknown as { default: Pkg };
  } catch (e) {
    throw new Error(`the optional package "@tensorflow/tfjs-backend-webgpu" is not installed or does not load (${(e as Error).message.split("\n")[0]}); run: npm install @tensorflow/tfjs-backend-webgpu@4.22.0`);
  }
  const { WebGPUBackend } = pkg.default;

  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) if (typeof adapter.limits[k] === "number") requiredLimits[k] = adapter.limits[k]!;
  const device = await adapter.requestDevice({ requiredLimits });
  // A failed command (shader validation, out of memory, a lost device) leaves garbage in its outputs, and
  // WebGPU reports it only as an event: remember the first, and fail every read from then on.
  let failure: string | undefined;
  device.addEventListener("uncapturederror", (e) => (failure ??= e.error.message.split("\n")[0]));
  void device.lost.then((i) => {
    failure ??= `the device was lost (${i.reason}): ${i.message}`;
    console.error(`[mmsn] webgpu: ${failure}`);
  });
  const check = () => {
    if (failure !== undefined) throw new Error(`webgpu: a GPU command failed, so every result since is unreliable: ${failure}`);
  };

  /** tfjs-backend-webgpu with device errors surfaced at the next read, and a clear error for synchronous reads. */
  class NodeWebGPUBackend extends WebGPUBackend {
    override async read(dataId: object): Promise<tf.backend_util.BackendValues> {
      check();
      const values = await super.read(dataId);
      check();
      return values;
    }

    override readSync(dataId: object): tf.backend_util.BackendValues {
      check();
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

  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ") || "unknown adapter";
  if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu"); // the package registers its own factory (default limits) when it loads
  tf.registerBackend("webgpu", () => new NodeWebGPUBackend(device as never, info as never));
  chunkAddN(device.limits.maxStorageBuffersPerShaderStage! - 1);
  registered = `@tensorflow/tfjs-backend-webgpu on ${label}: ${name}`;
  return registered;
}
