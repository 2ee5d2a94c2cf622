/**
 * Where a step's time goes, kernel by kernel: every registered kernel the tfjs engine runs is timed between
 * two device synchronisations, so on an asynchronous backend (cuda, webgpu) each kernel's time is its host
 * dispatch plus its device time. The synchronisations serialise the step, so the profile's total exceeds
 * the unprofiled step time; `syncMs` (the cost of one synchronisation with nothing queued, times the timed
 * calls) says by how much at least. Ops with a custom gradient are not timed themselves: the kernels they
 * run are.
 */
import * as tf from "@tensorflow/tfjs-core";

export interface KernelProfile {
  /** Every engine kernel call, custom-gradient ops and nested calls included (the dispatch count). */
  readonly calls: number;
  /** Per registered kernel name: calls timed and their synchronised milliseconds, largest first. */
  readonly kernels: readonly { readonly name: string; readonly calls: number; readonly ms: number }[];
  /** Sum of the timed kernels' milliseconds. */
  readonly kernelMs: number;
  /** Wall-clock milliseconds of the profiled run. */
  readonly wallMs: number;
  /** One idle synchronisation's milliseconds times the timed calls: a floor on the profile's own overhead. */
  readonly syncMs: number;
}

interface KernelParams {
  kernelName?: string;
}

/**
 * Profile one call of `run` on the current backend.
 * @param sync blocks until the device has finished its queued work (a no-op for synchronous backends).
 * Creates no tensors; the engine is restored when `run` settles, even if it throws.
 */
export async function kernelProfile(run: () => Promise<unknown>, sync: () => void = () => {}): Promise<KernelProfile> {
  const engine = tf.engine() as unknown as { runKernelFunc: (p: KernelParams) => unknown };
  const orig = engine.runKernelFunc;
  const byName = new Map<string, { calls: number; ms: number }>();
  let calls = 0;
  let timing = false; // a registered kernel is being timed: calls inside it are not timed again
  engine.runKernelFunc = (p: KernelParams) => {
    calls++;
    if (p.kernelName === undefined || timing) return orig.call(engine, p);
    sync();
    timing = true;
    const t0 = performance.now();
    try {
      return orig.call(engine, p);
    } finally {
      sync();
      const ms = performance.now() - t0;
      timing = false;
      const e = byName.get(p.kernelName) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += ms;
      byName.set(p.kernelName, e);
    }
  };
  const t0 = performance.now();
  try {
    await run();
    sync();
  } finally {
    engine.runKernelFunc = orig;
  }
  const wallMs = performance.now() - t0;
  const kernels = [...byName].map(([name, e]) => ({ name, ...e })).sort((a, b) => b.ms - a.ms);
  const timed = kernels.reduce((a, k) => a + k.calls, 0);
  const s0 = performance.now();
  for (let i = 0; i < 100; i++) sync();
  const syncMs = ((performance.now() - s0) / 100) * 2 * timed;
  return { calls, kernels, kernelMs: kernels.reduce((a, k) => a + k.ms, 0), wallMs, syncMs };
}

/** One line: the `top` kernels by time with their share of the kernel time, e.g. "BatchMatMul 41% (96×, 12.3 ms), …". */
export function formatKernelProfile(p: KernelProfile, top = 8): string {
  const share = (ms: number) => `${((100 * ms) / p.kernelMs).toFixed(0)}%`;
  const head = p.kernels.slice(0, top).map((k) => `${k.name} ${share(k.ms)} (${k.calls}×, ${k.ms.toFixed(1)} ms)`);
  const rest = p.kernels.slice(top);
  if (rest.length) head.push(`${rest.length} others ${share(rest.reduce((a, k) => a + k.ms, 0))}`);
  return (
    `kernel time, one step synchronised after every kernel: ${p.kernelMs.toFixed(1)} ms in ${p.kernels.reduce((a, k) => a + k.calls, 0)} kernels ` +
    `(step ${p.wallMs.toFixed(1)} ms while profiled, ≥ ${p.syncMs.toFixed(1)} ms of it synchronisation): ${head.join(", ")}`
  );
}
