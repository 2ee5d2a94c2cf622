/**
 * One full MSN training step on the cuda backend (the GPU when there is one, else the addon's host reference
 * device) agrees with the wasm backend within 1e-4, and repeated steps leave `tf.memory().numTensors`
 * unchanged (the shared tests of test/helpers/step_parity.ts). Skipped (loudly) when the addon is not built.
 */
import { useCudaBackend } from "../helpers/cuda.js";
import { skipLoudly } from "../helpers/skip.js";
import { describeStepParity } from "../helpers/step_parity.js";

describeStepParity("cuda", async (t) => {
  const r = await useCudaBackend();
  if ("skip" in r) {
    skipLoudly(t, r.skip);
    return false;
  }
  return true;
});
