/**
 * The cuda backend's per-kernel cpu fallback: inputs are downloaded (`readSync`) into a private
 * tfjs-backend-cpu instance, the cpu kernel runs there, and its outputs are uploaded as new device tensors.
 * Every cpu temporary is disposed before the kernel returns. Each use is counted for `cudaBackendReport()`.
 */
import * as tf from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { FallbackCounter } from "../kernel_registry.js";

/** The cuda backend's fallback uses. */
export const cudaFallbacks = new FallbackCounter();

/** Fallback uses so far: kernel name → calls, most used first (a new map the caller owns). */
export const cudaFallbackCounts = (): ReadonlyMap<string, number> => cudaFallbacks.counts();

/** What the shim needs of the cuda backend (kept structural so this module does not import backend.ts). */
interface HostStorage {
  readSync(dataId: object): tf.backend_util.BackendValues;
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues | string[]): tf.TensorInfo;
}

let cpu: MathBackendCPU | undefined;

/** The private cpu backend the fallbacks run on (never registered with the engine). */
function hostBackend(): MathBackendCPU {
  if (!cpu) {
    cpu = new MathBackendCPU();
    // MathBackendCPU prints "install tfjs-node" on its first write in Node; not useful here.
    (cpu as unknown as { firstUse: boolean }).firstUse = false;
  }
  return cpu;
}

type Info = tf.TensorInfo | undefined;

/**
 * A kernelFunc running the registered cpu kernel `kernelName` on the host for a backend whose tensors live
 * elsewhere. Outputs are new tensors of `args.backend` owned by the engine; inputs are unchanged.
 * Undefined when tfjs-backend-cpu has no such kernel.
 */
export function cpuShim(kernelName: string): tf.KernelFunc | undefined {
  const k = tf.getKernel(kernelName, "cpu");
  if (!k) return undefined;
  return ({ inputs, attrs, backend }) => {
    const be = backend as unknown as HostStorage;
    const host = hostBackend();
    const temps: object[] = [];
    const toHost = (t: Info): Info => {
      if (!t) return t;
      const dataId = host.write(be.readSync(t.dataId), t.shape, t.dtype);
      temps.push(dataId);
      return { dataId, shape: t.shape, dtype: t.dtype };
    };
    // Concat and AddN take their inputs as an array: keep it one.
    const hostInputs = (Array.isArray(inputs)
      ? (inputs as Info[]).map(toHost)
      : Object.fromEntries(Object.entries(inputs).map(([n, t]) => [n, toHost(t)]))) as unknown as tf.NamedTensorInfoMap;
    try {
      const out = k.kernelFunc({ inputs: hostInputs, attrs, backend: host });
      const outs = Array.isArray(out) ? out : [out];
      const uploaded = outs.map((o) => {
        temps.push(o.dataId);
        return be.makeTensorInfo(o.shape, o.dtype, host.readSync(o.dataId));
      });
      return Array.isArray(out) ? uploaded : uploaded[0]!;
    } finally {
      // force: an output may alias an input (refCount 2); one forced disposal of each id frees everything
      for (const id of temps) host.disposeData(id, true);
    }
  };
}
