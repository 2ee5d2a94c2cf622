/**
 * One full MSN training step on the native backend agrees with the wasm backend within 1e-4, and repeated
 * steps leave `tf.memory().numTensors` unchanged (the shared tests of test/helpers/step_parity.ts).
 * Skipped (loudly) when the native addon is not built.
 */
import { initBackend } from "../../src/backend/index.js";
import { skipLoudly } from "../helpers/skip.js";
import { describeStepParity } from "../helpers/step_parity.js";

describeStepParity("native", async (t) => {
  try {
    await initBackend({ force: "native", quiet: true });
    return true;
  } catch (e) {
    skipLoudly(t, (e as Error).message);
    return false;
  }
});
