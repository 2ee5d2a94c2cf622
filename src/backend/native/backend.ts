/**
 * The "native" tfjs backend: tfjs-backend-cpu's data storage (typed arrays that C++ reads and writes in
 * place) with the hot kernels replaced by the N-API addon (own or OpenBLAS GEMM, OpenMP elementwise, reductions,
 * fused softmax / LayerNorm / GELU / attention / AdamW). Every other cpu kernel is registered under "native"
 * as a fallback; each use of one is counted so `nativeBackendReport()` can say what still runs in JavaScript.
 */
import * as tf from "@tensorflow/tfjs-core";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import { registerCpuFallbacks } from "../kernel_registry.js";
import { loadNativeAddon, type NativeAddon } from "./addon.js";
import { nativeFallbackCounts, nativeFallbacks } from "./fallback.js";
import { BufferPool } from "./pool.js";
import { registerNativeKernels } from "./kernels/index.js";

export { nativeFallbackCounts };

export const NATIVE_BACKEND = "native";

/** Kernels that only touch metadata in the cpu backend: not counted as fallbacks. */
const METADATA_ONLY = new Set(["Identity", "Reshape"]);

/** tfjs-backend-cpu's storage and kernels, plus the addon handle and a buffer pool for the native kernels. */
export class NativeBackend extends MathBackendCPU {
  readonly pool = new BufferPool();

  constructor(readonly addon: NativeAddon) {
    super();
    // MathBackendCPU prints "install tfjs-node" on first use in Node; this backend is the answer to that.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  /** Pooled buffers never leave the backend: readers get a copy (what the wasm backend does too). */
  override readSync(dataId: object): tf.backend_util.BackendValues {
    const v = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    return this.pool.owns(v) ? v.slice() : super.readSync(dataId);
  }

  override disposeData(dataId: object, force = false): boolean {
    const v = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const released = super.disposeData(dataId, force);
    if (released && this.pool.owns(v) && this.live.delete(v)) this.pool.give(v);
    return released;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object {
    return super.write(this.adopt(values), shape, dtype);
  }

  override move(dataId: object, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    super.move(dataId, this.adopt(values), shape, dtype, refCount);
  }

  /** Pooled buffers attached to a tensor; a view into one, or a second attachment, is stored as a copy. */
  private readonly live = new WeakSet<Float32Array>();

  private adopt(values: tf.backend_util.BackendValues): tf.backend_util.BackendValues {
    if (!this.pool.sharesMemory(values)) return values;
    if (!this.pool.owns(values) || this.live.has(values)) return values.slice();
    this.live.add(values);
    return values;
  }

  override dispose(): void {
    this.pool.clear();
    super.dispose();
  }
}

/** One line: which kernels ran natively and which fell back to the cpu backend's JavaScript. */
export function nativeBackendReport(): string {
  return `[mmsn] native backend: ${nativeKernelNames.length} native kernels; ${nativeFallbacks.summary()}`;
}

let nativeKernelNames: string[] = [];
let registered: string | undefined;

/**
 * Register the "native" backend (priority 3: above wasm and cpu) and its kernels. Idempotent.
 * @returns a description (BLAS core, threads, kernel count); throws if the addon cannot load.
 */
export function registerNativeBackend(): string {
  if (registered) return registered;
  const addon = loadNativeAddon();
  registerCpuFallbacks(NATIVE_BACKEND, (k) => k.kernelFunc, nativeFallbacks, METADATA_ONLY);
  nativeKernelNames = registerNativeKernels(NATIVE_BACKEND);
  tf.registerBackend(NATIVE_BACKEND, () => new NativeBackend(addon), 3);
  if (process.env.MMSN_NATIVE_REPORT === "1") process.once("exit", () => console.error(nativeBackendReport()));
  const i = addon.info();
  registered = `mmsn native addon (${i.blasCore}, ${i.threads} OpenMP threads, ${nativeKernelNames.length} native kernels; other kernels fall back to tfjs-backend-cpu)`;
  return registered;
}
