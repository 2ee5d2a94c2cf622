/**
 * One full MSN training step on the webgpu backend (Dawn; headless Mesa llvmpipe where no GPU is present)
 * agrees with the wasm backend within 1e-4, and repeated steps leave `tf.memory().numTensors` unchanged
 * (the shared tests of test/helpers/step_parity.ts, which read with `await data()`).
 */
import { describeStepParity } from "../helpers/step_parity.js";
import { useWebgpu } from "../helpers/webgpu.js";

describeStepParity("webgpu", useWebgpu);
