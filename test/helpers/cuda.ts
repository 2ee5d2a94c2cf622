/** Setting up the cuda backend in tests: the GPU when the addon's probe finds one, else the host reference device. */
import { initBackend } from "../../src/backend/index.js";
import { loadCudaAddon } from "../../src/backend/cuda/addon.js";
import { registerCudaBackend } from "../../src/backend/cuda/backend.js";

/**
 * Register and activate the "cuda" backend: on the GPU when `probe().ok` (fp32 GEMMs unless MMSN_CUDA_MATH
 * says otherwise, so parity tolerances hold), else with MMSN_CUDA_DEVICE=host. Resolves to the
 * registration line, or to `{ skip }` with the reason when the addon is not built or the device cannot open
 * (the caller skips loudly: a failure under CI=true).
 */
export async function useCudaBackend(): Promise<{ details: string } | { skip: string }> {
  try {
    const addon = loadCudaAddon();
    if (!addon.probe().ok) process.env.MMSN_CUDA_DEVICE = "host";
    process.env.MMSN_CUDA_MATH ??= "fp32";
    const details = registerCudaBackend();
    await initBackend({ force: "cuda", quiet: true });
    return { details };
  } catch (e) {
    return { skip: `cuda backend not available: ${(e as Error).message}` };
  }
}
