/**
 * How many OpenMP threads a native kernel call may use. The addon's own thresholds (native/backend/common.h:
 * 32k elements; matmul.cc: 1M multiply–adds) let kernels of small models wake the second thread for a few
 * microseconds of work. With OMP_WAIT_POLICY=passive a wake-up is a futex round trip on a quiet machine, and
 * a whole scheduler quantum when another process holds the other core: the `test` preset's step ran ~6×
 * slower on 2 threads than on 1 while another benchmark shared the 2 cores. So a kernel whose work is under
 * `MMSN_NATIVE_SERIAL_WORK` (default 2^17 elements, or 2^21 multiply–adds for matMuls and attention) runs
 * on the calling thread; larger ones get every thread. `MMSN_NATIVE_SERIAL_WORK=0` leaves the choice to the
 * addon. Results do not depend on the thread count for the kernels this gates (elementwise, rows split
 * whole, GEMM tiles).
 */
import type * as tf from "@tensorflow/tfjs-core";
import type { NativeAddon } from "./addon.js";

const env = Number(process.env.MMSN_NATIVE_SERIAL_WORK);
/** Elements under which an elementwise / row kernel runs on one thread (0 = the addon's thresholds only). */
export const SERIAL_ELEMENTS = Number.isFinite(env) && env >= 0 && process.env.MMSN_NATIVE_SERIAL_WORK !== "" ? env : 1 << 17;
/** Multiply–adds under which a matMul or attention call runs on one thread (16× the element threshold). */
export const SERIAL_MACS = SERIAL_ELEMENTS * 16;

const size = (t: tf.TensorInfo | undefined): number => {
  if (!t) return 0;
  let n = 1;
  for (const d of t.shape) n *= d;
  return n;
};

/** A kernel's work estimate: multiply–adds for matMuls and attention, else the elements of its largest input. */
export function kernelWork(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): { work: number; macs: boolean } {
  if (name === "BatchMatMul" || name === "_FusedMatMul") {
    const a = inputs.a!.shape;
    const b = inputs.b!.shape;
    const [ra, rb] = [a.length, b.length];
    const m = attrs?.transposeA ? a[ra - 1]! : a[ra - 2]!;
    const k = attrs?.transposeA ? a[ra - 2]! : a[ra - 1]!;
    const n = attrs?.transposeB ? b[rb - 2]! : b[rb - 1]!;
    const batch = Math.max(size(inputs.a) / (m * k || 1), size(inputs.b) / (k * n || 1));
    return { work: batch * m * n * k, macs: true };
  }
  if (name === "MmsnAttention" || name === "MmsnAttentionGrad") {
    const q = inputs.q!;
    const rows = q.shape[0]!;
    const batch = Number(attrs?.batch) || 1;
    return { work: rows * (rows / batch) * q.shape[1]!, macs: true };
  }
  let m = 0;
  for (const k in inputs) m = Math.max(m, size(inputs[k]));
  return { work: m, macs: false };
}

/** Tracks the addon's thread setting so that it is changed only when a kernel needs the other value. */
export class ThreadPolicy {
  private current = -1;
  private max = 0;

  constructor(private readonly addon: NativeAddon) {}

  /** Set the thread count for a kernel call with this work estimate. */
  before(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap | undefined): void {
    if (SERIAL_ELEMENTS === 0) return;
    if (this.max === 0) this.max = this.addon.info().threads;
    const { work, macs } = kernelWork(name, inputs, attrs);
    const want = work < (macs ? SERIAL_MACS : SERIAL_ELEMENTS) ? 1 : this.max;
    if (want !== this.current) {
      this.addon.setThreads(want);
      this.current = want;
    }
  }
}
