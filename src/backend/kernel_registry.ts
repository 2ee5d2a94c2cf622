/**
 * Kernel registration shared by the native and cuda backends: the part of their kernel tables they have in
 * common (`kernelTable`), each registering its kernels over a per-kernel cpu fallback, and counting every use
 * of a fallback for its one-line report.
 */
import * as tf from "@tensorflow/tfjs-core";
import { FUSED } from "./fused_ops.js";
import { BINARY_OPS, REDUCE_OPS, UNARY_OPS } from "./op_codes.js";

/** What tfjs passes to a kernelFunc. */
export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: tf.KernelBackend; attrs?: tf.NamedAttrMap };

/** A backend's own kernel; undefined = not covered (dtype, attributes): the registration falls back. */
export type DeviceKernelFunc<B> = (args: KernelArgs, be: B) => tf.TensorInfo | tf.TensorInfo[] | undefined;

/** Uses of cpu fallback kernels by one backend. */
export class FallbackCounter {
  private readonly uses = new Map<string, number>();

  /** Record one use of a fallback (also for dtypes or attributes a backend kernel does not cover). */
  count(name: string): void {
    this.uses.set(name, (this.uses.get(name) ?? 0) + 1);
  }

  /** Uses so far: kernel name → calls, most used first (a new map the caller owns). */
  counts(): ReadonlyMap<string, number> {
    return new Map([...this.uses.entries()].sort((a, b) => b[1] - a[1]));
  }

  /** "no cpu fallback used", or which fallbacks ran and how often. */
  summary(): string {
    const fb = [...this.counts()].map(([k, n]) => `${k}×${n}`);
    return fb.length ? `cpu (JavaScript) fallbacks used: ${fb.join(", ")}` : "no cpu fallback used";
  }
}

/** A backend's implementation of each of the package's fused kernels, by FUSED key (LayerNorm, …). */
export type FusedKernelFuncs<F> = Readonly<Record<keyof typeof FUSED, F>>;

/** What every backend with the package's fused kernels implements besides its own kernels. */
export interface CommonKernelFuncs<F> {
  /** Softmax over the last axis. */
  softmax: F;
  /** All seven fused kernels: a backend that registers one registers them all (`hasFusedKernels` asks for one). */
  fused: FusedKernelFuncs<F>;
  /** The kernel of one op of each table of ./op_codes.ts. */
  binary: (name: keyof typeof BINARY_OPS) => F;
  unary: (name: keyof typeof UNARY_OPS) => F;
  reduce: (name: keyof typeof REDUCE_OPS) => F;
}

/** One kernel per op of `codes` (a table of ./op_codes.ts, or a backend's own), made by `make`. */
export function opKernels<C extends Readonly<Record<string, number>>, F>(codes: C, make: (name: keyof C & string) => F): Record<keyof C & string, F> {
  return Object.fromEntries(Object.keys(codes).map((k) => [k, make(k)])) as Record<keyof C & string, F>;
}

/**
 * A backend's kernel table by tfjs kernel name: `own` (what only it registers), Softmax, the fused kernels
 * under their FUSED names, and one kernel per binary, unary and reduce op code.
 */
export function kernelTable<F>(own: Readonly<Record<string, F>>, common: CommonKernelFuncs<F>): Record<string, F> {
  return {
    ...own,
    Softmax: common.softmax,
    ...Object.fromEntries((Object.keys(FUSED) as (keyof typeof FUSED)[]).map((k) => [FUSED[k], common.fused[k]])),
    ...opKernels(BINARY_OPS, common.binary),
    ...opKernels(UNARY_OPS, common.unary),
    ...opKernels(REDUCE_OPS, common.reduce),
  };
}

/**
 * Register `kernels` for `backendName`, replacing any kernel of that name already there. A kernel that
 * returns undefined runs `fallback(name)` instead, counted in `counter` with its input dtypes; with no
 * fallback that is an error naming the kernel. Returns the names registered.
 */
export function registerBackendKernels<B>(
  backendName: string,
  kernels: Readonly<Record<string, DeviceKernelFunc<B>>>,
  fallback: (kernelName: string) => tf.KernelFunc | undefined,
  counter: FallbackCounter,
): string[] {
  for (const [name, fn] of Object.entries(kernels)) {
    const fb = fallback(name);
    if (tf.getKernel(name, backendName)) tf.unregisterKernel(name, backendName);
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: (args) => {
        const r = fn(args as KernelArgs, args.backend as B);
        if (r !== undefined) return r;
        if (!fb) throw new Error(`${backendName} kernel ${name}: unsupported inputs and no cpu kernel to fall back to`);
        counter.count(`${name} (${Object.values(args.inputs).map((t) => t?.dtype).join(",")})`);
        return fb(args);
      },
    });
  }
  return Object.keys(kernels);
}

/**
 * Register every tfjs-backend-cpu kernel for `backendName` as a counted fallback: `fallback(cpuKernel)` is
 * what runs (the cpu kernel itself, or a shim that moves data), counted in `counter` unless its name is in
 * `uncounted` (metadata-only kernels). Call before registering the backend's own kernels, which replace these.
 */
export function registerCpuFallbacks(backendName: string, fallback: (cpu: tf.KernelConfig) => tf.KernelFunc, counter: FallbackCounter, uncounted: ReadonlySet<string> = new Set()): void {
  for (const k of tf.getKernelsForBackend("cpu")) {
    const { kernelName } = k;
    const run = fallback(k);
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ ...k, backendName, kernelFunc: uncounted.has(kernelName) ? run : (args) => (counter.count(kernelName), run(args)) });
  }
}
