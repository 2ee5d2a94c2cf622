/**
 * The "cuda" tfjs backend: tensors live in device buffers of the CUDA addon (src/backend/cuda/addon.ts),
 * the hot kernels run on the device (cuBLAS GEMM, elementwise, reductions, fused softmax / LayerNorm /
 * GELU / attention / AdamW), and every other cpu kernel runs through a per-kernel fallback that downloads
 * its inputs, runs tfjs-backend-cpu and uploads the outputs (counted, see `cudaBackendReport()`).
 *
 * The addon's "host" device runs the same kernel code as CPU loops: `MMSN_CUDA_DEVICE=host` (or
 * `registerCudaBackend({ device: "host" })`) tests the whole backend on a machine without a GPU.
 */
import * as tf from "@tensorflow/tfjs-core";
import { existsSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { registerCpuFallbacks } from "../kernel_registry.js";
import { type Buf, type CudaAddon, type CudaDeviceInfo, cublasCandidates, cudaKernelsPath, loadCudaAddon } from "./addon.js";
import { cpuShim, cudaFallbackCounts, cudaFallbacks } from "./fallback.js";
import { registerCudaKernels } from "./kernels/index.js";

/** Fallback uses so far (a new map the caller owns); see ./fallback.ts. */
export { cudaFallbackCounts };

/** The tfjs backend name this module registers. */
export const CUDA_BACKEND = "cuda";

/** Storage record of one tensor: a device buffer, or (string dtype) the encoded strings on the host. */
export interface TensorData {
  /** Device buffer id; 0 for a 0-byte tensor and for strings. */
  buf: Buf;
  /** Encoded strings (string dtype only). */
  strings?: Uint8Array[];
  dtype: tf.DataType;
  shape: number[];
  refCount: number;
  /** Device bytes of `buf`. */
  bytes: number;
  /**
   * Host copy of a small int32 tensor written from the host (tfjs tensors are immutable, so it stays valid):
   * lets index checks (GatherV2) read values without waiting for the device.
   */
  hostInts?: Int32Array;
}

/** int32 tensors up to this many elements keep a host copy when written (see TensorData.hostInts). */
const HOST_INTS_MAX = 1 << 16;

type DeviceValues = Float32Array | Int32Array | Uint8Array;

/** Bytes per element on the device: bool is 1 byte (as tfjs stores it), float32 and int32 4. */
export function bytesPerElement(dtype: tf.DataType): number {
  if (dtype === "bool") return 1;
  if (dtype === "float32" || dtype === "int32") return 4;
  throw new Error(`the cuda backend has no ${dtype} device storage${dtype === "complex64" ? " (complex64 is not supported)" : ""}`);
}

/** `values` as the typed array the device stores for `dtype` (the same array when it already is one). */
function deviceArray(values: tf.backend_util.BackendValues, dtype: tf.DataType): DeviceValues {
  if (dtype === "float32") return values instanceof Float32Array ? values : Float32Array.from(values as Int32Array | Uint8Array);
  if (dtype === "int32") return values instanceof Int32Array ? values : Int32Array.from(values as Float32Array | Uint8Array);
  if (dtype === "bool") return values instanceof Uint8Array ? values : Uint8Array.from(values as Float32Array | Int32Array, (v) => (v !== 0 ? 1 : 0));
  throw new Error(`the cuda backend cannot store ${dtype} values${dtype === "complex64" ? " (complex64 is not supported)" : ""}`);
}

/** A new empty typed array of `n` elements for `dtype`. */
function newArray(dtype: tf.DataType, n: number): DeviceValues {
  return dtype === "float32" ? new Float32Array(n) : dtype === "int32" ? new Int32Array(n) : new Uint8Array(n);
}

/**
 * Tensor storage in device buffers. The engine owns every data id it hands out (write, makeOutput,
 * makeTensorInfo) and disposes them through `disposeData`; `readSync` returns new host arrays the caller owns.
 */
export class CudaBackend extends tf.KernelBackend {
  readonly data = new tf.DataStorage<TensorData>(this, tf.engine());
  /** Device buffers held by `data` (freed by `dispose`). */
  private readonly live = new Set<Buf>();
  private nextId = 0;

  constructor(readonly addon: CudaAddon, readonly info: CudaDeviceInfo) {
    super();
  }

  /** Store a new record; the engine owns the returned data id. */
  private store(dataId: object, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    if (dtype === "string") {
      this.data.set(dataId, { buf: 0, strings: values as Uint8Array[], dtype, shape, refCount, bytes: 0 });
      return;
    }
    const arr = deviceArray(values, dtype);
    const bytes = tf.util.sizeFromShape(shape) * bytesPerElement(dtype);
    if (arr.byteLength !== bytes) throw new Error(`cuda backend: ${arr.length} values do not fill a ${dtype} tensor of shape [${shape}]`);
    const buf = this.allocBuf(bytes);
    if (bytes > 0) this.addon.upload(buf, arr);
    const hostInts = arr instanceof Int32Array && dtype === "int32" && arr.length <= HOST_INTS_MAX ? arr.slice() : undefined;
    this.data.set(dataId, { buf, dtype, shape, refCount, bytes, ...(hostInts ? { hostInts } : {}) });
  }

  /** The values of an int32 tensor: its host copy when it has one (no device sync), else a download. */
  int32Values(dataId: object): Int32Array {
    const d = this.data.get(dataId);
    return d.hostInts ?? (this.readSync(dataId) as Int32Array);
  }

  private allocBuf(bytes: number): Buf {
    if (bytes === 0) return 0;
    const buf = this.addon.alloc(bytes);
    this.live.add(buf);
    return buf;
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): object {
    const dataId = { id: this.nextId++ };
    this.store(dataId, values, shape, dtype, 1);
    return dataId;
  }

  override move(dataId: object, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.store(dataId, values, shape, dtype, refCount);
  }

  /** A new typed array (owned by the caller) with the tensor's values; waits for queued kernels. */
  override readSync(dataId: object): tf.backend_util.BackendValues {
    const d = this.data.get(dataId);
    if (d.dtype === "string") return d.strings!;
    const out = newArray(d.dtype, d.bytes / bytesPerElement(d.dtype));
    if (d.bytes > 0) this.addon.download(d.buf, out);
    return out;
  }

  override read(dataId: object): Promise<tf.backend_util.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  /** tfjs-backend-cpu's rule: drop one reference; free the device buffer when none is left (or `force`). */
  override disposeData(dataId: object, force = false): boolean {
    if (!this.data.has(dataId)) return true;
    const d = this.data.get(dataId);
    d.refCount--;
    if (!force && d.refCount > 0) return false;
    if (d.buf !== 0 && this.live.delete(d.buf)) this.addon.free(d.buf);
    this.data.delete(dataId);
    return true;
  }

  override refCount(dataId: object): number {
    return this.data.has(dataId) ? this.data.get(dataId).refCount : 0;
  }

  override incRef(dataId: object): void {
    this.data.get(dataId).refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): { unreliable: boolean; numBytesInGPU: number; numBytesInGPUAllocated: number; numBytesInGPUFree: number; deviceBuffers: number } {
    const m = this.addon.memory();
    return { unreliable: false, numBytesInGPU: m.inUseBytes, numBytesInGPUAllocated: m.inUseBytes + m.cachedBytes, numBytesInGPUFree: m.cachedBytes, deviceBuffers: m.buffers };
  }

  override floatPrecision(): 32 {
    return 32;
  }

  override epsilon(): number {
    return super.epsilon(); // float32's 1e-7
  }

  override timerAvailable(): boolean {
    return true;
  }

  /** Wall-clock time of `f` including the device work it queued. */
  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const t0 = performance.now();
    f();
    this.sync();
    return { kernelMs: performance.now() - t0 };
  }

  /** Blocks until the device has finished all work queued so far (for timing and profiling). */
  sync(): void {
    this.addon.sync();
  }

  /** Frees every device buffer still held (the backend is unusable afterwards). */
  override dispose(): void {
    for (const b of this.live) this.addon.free(b);
    this.live.clear();
    this.addon.emptyCache();
  }

  /** Device buffer of a kernel input (moved here first if it lives on another backend). Not owned by the caller. */
  buf(t: tf.TensorInfo): Buf {
    const d = this.data.get(t.dataId);
    if (d.dtype === "string") throw new Error("cuda backend: string tensors have no device buffer");
    return d.buf;
  }

  /**
   * A new uninitialised device tensor registered with refCount 1: the kernel must write every element, and
   * the engine owns (disposes) `info` once the kernel returns it. `buf` is not owned by the caller.
   */
  makeOutput(shape: number[], dtype: tf.DataType): { info: tf.TensorInfo; buf: Buf } {
    const bytes = tf.util.sizeFromShape(shape) * bytesPerElement(dtype);
    const buf = this.allocBuf(bytes);
    const dataId = { id: this.nextId++ };
    this.data.set(dataId, { buf, dtype, shape, refCount: 1, bytes });
    return { info: { dataId, shape, dtype }, buf };
  }

  /** A tensor from host values (uploaded), or an uninitialised one without values; the engine owns it. */
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.backend_util.BackendValues | string[]): tf.TensorInfo {
    if (values === undefined) return dtype === "string" ? this.makeTensorInfo(shape, dtype, []) : this.makeOutput(shape, dtype).info;
    const v = dtype === "string" && values.length > 0 && typeof values[0] === "string" ? (values as string[]).map((s) => tf.util.encodeString(s)) : values;
    return { dataId: this.write(v as tf.backend_util.BackendValues, shape, dtype), shape, dtype };
  }

  /** A temporary device buffer of `bytes` (not registered anywhere): the caller frees it with `addon.free`. */
  temp(bytes: number): Buf {
    return bytes === 0 ? 0 : this.addon.alloc(bytes);
  }

  /** Free a buffer from `temp` (0 is a no-op). */
  freeTemp(buf: Buf): void {
    if (buf !== 0) this.addon.free(buf);
  }
}

let cudaKernelNames: string[] = [];
let registered: string | undefined;
let openedInfo: CudaDeviceInfo | undefined;

/** One line: device, kernels on the device, and which kernels fell back to the cpu backend's JavaScript. */
export function cudaBackendReport(): string {
  const dev = openedInfo ? `${openedInfo.device}: ${openedInfo.name}` : "not registered";
  return `[mmsn] cuda backend (${dev}): ${cudaKernelNames.length} device kernels; ${cudaFallbacks.summary()}`;
}

/** Which device the registered cuda backend runs ("cuda" GPU or "host" reference), or undefined before registration. */
export function cudaDevice(): "cuda" | "host" | undefined {
  return openedInfo?.device;
}

const MATH_MODES = ["fp32", "tf32", "bf16"] as const;

/**
 * Register the "cuda" backend (priority 4: above native, wasm and cpu) and its kernels. Idempotent (a later
 * call returns the first description, whatever its options).
 * @param opts.device "cuda" (a GPU; default `MMSN_CUDA_DEVICE` or "cuda") or "host" (the CPU reference device).
 * @returns a one-line description (device, compute capability, GEMM engine, math mode, device kernel count);
 *   throws with the reason when the addon is not built, there is no usable GPU, or the GPU kernels are not built.
 */
export function registerCudaBackend(opts: { device?: "cuda" | "host" } = {}): string {
  if (registered) return registered;
  const device = opts.device ?? process.env.MMSN_CUDA_DEVICE ?? "cuda";
  if (device !== "cuda" && device !== "host") throw new Error(`MMSN_CUDA_DEVICE="${device}" is not a device; valid values: cuda, host`);
  const math = process.env.MMSN_CUDA_MATH ?? "tf32";
  if (!(MATH_MODES as readonly string[]).includes(math)) throw new Error(`MMSN_CUDA_MATH="${math}" is not a math mode; valid values: ${MATH_MODES.join(", ")}`);
  const addon = loadCudaAddon();
  let kernels: string | undefined;
  if (device === "cuda") {
    const probe = addon.probe();
    if (!probe.ok) throw new Error(`no usable CUDA GPU: ${probe.reason}`);
    kernels = cudaKernelsPath();
    if (!kernels || !existsSync(kernels)) {
      throw new Error("CUDA kernels not built: nvcc was not found when the package was installed; install the CUDA toolkit and run node native/build.mjs");
    }
  }
  const info = addon.open({ device, math: math as CudaDeviceInfo["math"], ...(kernels ? { kernels, cublas: cublasCandidates() } : {}) });
  registerCpuFallbacks(CUDA_BACKEND, (k) => cpuShim(k.kernelName)!, cudaFallbacks);
  cudaKernelNames = registerCudaKernels(CUDA_BACKEND);
  tf.registerBackend(CUDA_BACKEND, () => new CudaBackend(addon, info), 4);
  openedInfo = info;
  if (process.env.MMSN_CUDA_REPORT === "1") process.once("exit", () => console.error(cudaBackendReport()));
  registered = `mmsn cuda addon (${info.device} device: ${info.name}${info.cc ? `, cc ${info.cc}` : ""}, GEMM ${info.blas}, math ${info.math}, ${cudaKernelNames.length} device kernels; other kernels fall back to tfjs-backend-cpu)`;
  return registered;
}
