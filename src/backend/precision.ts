/**
 * GEMM precision of the active backend: "fp32", or "bf16" mixed precision (every GEMM input, activations and
 * weights, rounded to bf16 with round-to-nearest-even; fp32 accumulation and fp32 outputs). Everything else
 * (variables and optimizer state, loss, softmax, LayerNorm, GELU, AdamW) stays float32 either way.
 *
 * Supported by the `native` backend (the own GEMM's AVX512-BF16 vdpbf16ps kernel, or, on CPUs without it,
 * the same rounding emulated in front of the fp32 kernel: same numerics, no speed-up) and the `cuda` backend
 * (cuBLAS bf16 math; emulated on the host reference device). Asking any other backend for bf16 is an error.
 *
 * The switch is process-wide inside the addon; {@link withGemmPrecision} scopes it to one synchronous call
 * (MultimodalMSN uses it around the forward and backward passes of a training step, so evaluation, feature
 * extraction and the probes stay fp32). docs/performance.md#bf16-mixed-precision.
 */
import * as tf from "@tensorflow/tfjs-core";
import { loadCudaAddon } from "./cuda/addon.js";
import { loadNativeAddon } from "./native/addon.js";

/** The GEMM precisions of {@link Precision} (also src/config/msn.ts PRECISIONS: config and backend are one layer and do not import each other). */
export const GEMM_PRECISIONS = ["fp32", "bf16"] as const;
/** "fp32" (default) or "bf16" (bf16 GEMM inputs, fp32 accumulation and outputs). */
export type Precision = (typeof GEMM_PRECISIONS)[number];
/** The backends that run bf16 GEMMs. */
export const BF16_BACKENDS = ["native", "cuda"] as const;

interface PrecisionSwitch {
  setPrecision(p: Precision): Precision;
}

function switchOf(backend: string): PrecisionSwitch | undefined {
  if (backend === "native") return loadNativeAddon();
  if (backend === "cuda") return loadCudaAddon();
  return undefined;
}

/**
 * Throw unless the active tfjs backend can run GEMMs in `precision` ("fp32" always can).
 * @throws Error naming the backend and the ones that support bf16.
 */
export function assertPrecisionSupported(precision: Precision): void {
  if (precision === "fp32") return;
  if (!(GEMM_PRECISIONS as readonly string[]).includes(precision)) throw new Error(`precision "${String(precision)}" is not one of ${GEMM_PRECISIONS.join(", ")}`);
  const backend = tf.getBackend();
  if (!switchOf(backend)) {
    throw new Error(
      `precision "bf16" needs the ${BF16_BACKENDS.join(" or ")} backend; the active backend is "${backend}", whose GEMMs are float32 only ` +
        `(use precision "fp32" here, or MMSN_BACKEND=native / cuda)`,
    );
  }
}

/**
 * Run `fn` (synchronous) with the active backend's GEMMs in `precision`, then restore the previous precision,
 * also when `fn` throws. "fp32" on a backend without a switch just runs `fn`.
 * @throws Error (before running `fn`) when `precision` is "bf16" and the backend does not support it.
 * @example const grads = withGemmPrecision("bf16", () => tf.variableGrads(loss));
 */
export function withGemmPrecision<T>(precision: Precision, fn: () => T): T {
  assertPrecisionSupported(precision);
  const sw = switchOf(tf.getBackend());
  // (an addon built before the switch existed can only be fp32)
  if (!sw || (precision === "fp32" && typeof sw.setPrecision !== "function")) return fn();
  const previous = sw.setPrecision(precision);
  try {
    return fn();
  } finally {
    sw.setPrecision(previous);
  }
}
